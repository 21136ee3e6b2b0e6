#!/usr/bin/env bash
# Two or more livret binaries against each other, timed as bench_crowbook.sh times (a bash
# subshell, /usr/bin/time, bash's microsecond clock), HTML only: every livret run comes right
# after a Crowbook run and is divided by it, and the binaries' order rotates from round to round.
# A binary always run after another livret, or always first, would be measured in another state
# of the machine (the disk still writing Crowbook's output, a second core asleep): on this
# machine that alone moved a scale-10 build by 3–4 ms.
#   scripts/ab_crowbook.sh SCALE ROUNDS BINARY...     (a corpus made by gen_corpus.py SCALE)
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 SCALE ROUNDS BINARY..." >&2; exit 2; }
command -v crowbook >/dev/null || { echo "crowbook not installed (cargo install crowbook)" >&2; exit 2; }
scale=$1; rounds=$2; shift 2
bins=(); for b in "$@"; do bins+=("$(realpath "$b")"); done
cd "$(dirname "$0")/.."
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000 LIVRET_CACHE_DIR="$work/cache"
python3 scripts/gen_corpus.py "$scale" "$work/corpus" >/dev/null
python3 scripts/crowbook_book.py "$work/corpus" >"$work/book.md"
printf 'title: Bench\nauthor: Bench\nlang: fr\n\n+ book.md\n' >"$work/faq.book"
seconds() {
  local start=$EPOCHREALTIME
  /usr/bin/time -f '%M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  local end=$EPOCHREALTIME
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f\n", b - a }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
n=${#bins[@]}
for round in $(seq "$rounds"); do
  for k in $(seq 0 $((n - 1))); do
    j=$(((k + round) % n))
    read -r c < <(cd "$work" && seconds crowbook faq.book --to html --output "$work/crowbook.html")
    read -r l < <(seconds "${bins[$j]}" -q build "$work/corpus" -o "$work/out" -f html)
    echo "$j $l $(awk -v l="$l" -v c="$c" 'BEGIN { printf "%.4f", l / c }')" >>"$work/runs"
  done
done
echo "| binary | livret (s) | livret ÷ Crowbook (median of $rounds) |"
echo "|---|---|---|"
for j in $(seq 0 $((n - 1))); do
  echo "| ${bins[$j]} | $(grep "^$j " "$work/runs" | cut -d' ' -f2 | median) | $(grep "^$j " "$work/runs" | cut -d' ' -f3 | median)× |"
done
