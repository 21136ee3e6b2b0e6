#!/usr/bin/env bash
# Run each cargo-fuzz target for SECONDS (default 900), one after the other, and print what each
# found (crash / timeout / out-of-memory inputs saved under fuzz/artifacts/<target>/).
#   scripts/fuzz.sh [SECONDS] [TARGET...]        targets: pipeline front_matter (default: both)
# cargo-fuzz passes nightly-only flags (-Zsanitizer=address); RUSTC_BOOTSTRAP=1 lets the stable
# toolchain accept them, so no nightly toolchain is needed.
# libFuzzer runs in fork mode and ignores crashes, so one run collects every crash it meets
# instead of stopping at the first. Replay one: `cargo fuzz run TARGET fuzz/artifacts/TARGET/FILE`.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-900}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(pipeline front_matter)
export RUSTC_BOOTSTRAP=1

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
python3 scripts/fuzz_seeds.py fuzz/seeds
mkdir -p fuzz/logs

# Build flags per target. The pipeline target writes a PDF for every input, and printpdf scans
# all 1.1 million code points of each embedded face when it saves: under AddressSanitizer with
# comparison tracing one input took 8–28 s, so that target runs without them (safe Rust panics
# are what it hunts; the front-matter target keeps both). Each flag set has its own target
# folder, so switching targets does not rebuild everything.
build_flags() {
  case "$1" in
    pipeline) echo "-s none --no-trace-compares --target-dir fuzz/target/lean" ;;
    *) echo "" ;;
  esac
}

for target in "${targets[@]}"; do
  read -r -a flags <<<"$(build_flags "$target")"
  cargo fuzz build "${flags[@]}" "$target"
  mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
  before=$(ls "fuzz/artifacts/$target" | sort)
  echo "== $target: ${seconds}s"
  # fuzz/corpus/<target> grows (new inputs are saved there); fuzz/seeds/<target> is read only.
  # -detect_leaks=0: leak checking runs each input twice, and a leak is not what we hunt.
  cargo fuzz run "${flags[@]}" "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=30 -detect_leaks=0 -dict=fuzz/livret.dict \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -print_final_stats=1 \
    >"fuzz/logs/$target.log" 2>&1 || true
  echo "   last status: $(grep -E '^#[0-9]+' "fuzz/logs/$target.log" | tail -1)"
  found=$(comm -13 <(echo "$before") <(ls "fuzz/artifacts/$target" | sort) | grep -v '^$' || true)
  if [ -z "$found" ]; then
    echo "   found nothing"
  else
    echo "   found $(echo "$found" | wc -l) input(s):"
    echo "$found" | sed "s|^|   fuzz/artifacts/$target/|"
  fi
done
