#!/usr/bin/env bash
# HTML and EPUB against Crowbook (`cargo install crowbook`), side by side in one run: for each
# scale and format, RUNS pairs of whole-process runs, livret and Crowbook alternated, and the
# median of the per-pair time ratios (a shared, noisy machine moves both of a pair alike).
#   scripts/bench_crowbook.sh [-j N] [SCALES...]     (default: 1 10 100; RUNS=7; livret's
#   own default for -j: the cores available)
# Crowbook reads the same pages concatenated in book order (it knows no personas), as the
# pandoc rows of bench.sh do.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-7}
jobs=()
if [ "${1:-}" = -j ]; then jobs=(-j "$2"); shift 2; fi
scales=("$@"); [ ${#scales[@]} -gt 0 ] || scales=(1 10 100)
command -v crowbook >/dev/null || { echo "crowbook not installed (cargo install crowbook)" >&2; exit 2; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000
cargo build --release --quiet
livret=$PWD/target/release/livret

seconds() { # wall seconds (bash's microsecond clock: /usr/bin/time counts hundredths) and peak KiB
  local start=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; echo NA; return; }
  local end=$EPOCHREALTIME
  echo "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", b - a }') $(cat "$work/t")"
}
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "NA" }'; }

echo "| scale | format | livret (s) | livret peak (MiB) | Crowbook (s) | livret ÷ Crowbook (median of pairs) |"
echo "|---|---|---|---|---|---|"
for scale in "${scales[@]}"; do
  corpus="$work/corpus-$scale"
  python3 scripts/gen_corpus.py "$scale" "$corpus" >/dev/null
  python3 scripts/crowbook_book.py "$corpus" >"$work/book-$scale.md"
  printf 'title: Bench\nauthor: Bench\nlang: fr\n\n+ book-%s.md\n' "$scale" >"$work/faq-$scale.book"
  # `epub-uncached`: the EPUB with no cache between builds (its cover drawn every time); the
  # other rows use a cache of their own, filled by their first run (as a writer's loop would).
  for row in html epub epub-uncached; do
    format=${row%-uncached}
    cache="$work/cache"; [ "$row" = epub-uncached ] && cache=""
    ratios=(); lts=(); cts=(); lms=()
    for _ in $(seq "$runs"); do
      read -r lt lm < <(LIVRET_CACHE_DIR="$cache" seconds "$livret" -q build "$corpus" -o "$work/out-$scale" -f "$format" "${jobs[@]}")
      read -r ct _ < <(cd "$work" && seconds crowbook "faq-$scale.book" --to "$format" --output "$work/c-$scale.$format")
      lts+=("$lt"); cts+=("$ct"); lms+=("$lm")
      ratios+=("$(awk -v a="$lt" -v b="$ct" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "NA" }')")
    done
    lt=$(printf '%s\n' "${lts[@]}" | median); ct=$(printf '%s\n' "${cts[@]}" | median)
    lm=$(printf '%s\n' "${lms[@]}" | median | awk '{ printf "%.0f", $1 / 1024 }')
    r=$(printf '%s\n' "${ratios[@]}" | median)
    echo "| $scale | $row | $lt | $lm | $ct | ${r}× |"
  done
done
