#!/usr/bin/env bash
# Benchmark: livret vs pandoc on generated corpora (scale 1 ≈ the default corpus, 10, 100).
# Wall time and peak memory per format, median of N runs; file sizes. Prints a Markdown table.
#   scripts/bench.sh [SCALES...]      (default: 1 10 100; RUNS=5; FORMATS="html epub pdf")
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
scales=("$@"); [ ${#scales[@]} -gt 0 ] || scales=(1 10 100)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000

cargo build --release --quiet
livret=$PWD/target/release/livret

# median of `runs` runs of a command: prints "seconds peak_kib"
measure() {
  local times=() mems=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f '%e %M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; echo "NA NA"; return; }
    read -r t m <"$work/t"; times+=("$t"); mems+=("$m")
  done
  local mt mm
  mt=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(( (runs + 1) / 2 ))p")
  mm=$(printf '%s\n' "${mems[@]}" | sort -g | sed -n "$(( (runs + 1) / 2 ))p")
  echo "$mt $mm"
}
size() { [ -f "$1" ] && stat -c %s "$1" || echo NA; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "NA" || b == "NA" || b == 0) print "–"; else printf "%.2f×", a / b }'; }

pdf_engine=""
# pandoc ≥ 2.19 says --embed-resources; older ones --self-contained.
self_contained=--self-contained
pandoc --help 2>/dev/null | grep -q -- --embed-resources && self_contained=--embed-resources
command -v wkhtmltopdf >/dev/null && pdf_engine=wkhtmltopdf
[ -z "$pdf_engine" ] && command -v pdflatex >/dev/null && pdf_engine=pdflatex

echo "| scale | format | livret time (s) | livret peak (MiB) | livret size (KiB) | pandoc time (s) | pandoc peak (MiB) | pandoc size (KiB) | time livret/pandoc |"
echo "|---|---|---|---|---|---|---|---|---|"
for scale in "${scales[@]}"; do
  corpus="$work/corpus-$scale"
  python3 scripts/gen_corpus.py "$scale" "$corpus"
  # pandoc reads the same pages, concatenated in book order (it knows no personas).
  python3 - "$corpus" >"$work/book-$scale.md" <<'PY'
import pathlib, re, sys
root = pathlib.Path(sys.argv[1])
index = next(p for p in sorted(root.rglob("*.md")) if "buttons:" in p.read_text(encoding="utf-8"))
pages = [index] + sorted((root / "_faq").glob("*.md"))
for p in pages:
    text = p.read_text(encoding="utf-8")
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|^\{:.*\}\s*$", "", text, flags=re.M)
    print(text.replace("](/img/", "](" + str(root) + "/img/"), end="\n\n")
PY
  for format in ${FORMATS:-html epub pdf}; do
    read -r lt lm < <(measure "$livret" -q build "$corpus" -o "$work/out-$scale" -f "$format")
    ls_=$(size "$(ls "$work/out-$scale"/*."$format" 2>/dev/null | head -1)")
    case $format in
      html) pcmd=(pandoc "$work/book-$scale.md" -s "$self_contained" --metadata title=Bench -o "$work/p-$scale.html") ;;
      epub) pcmd=(pandoc "$work/book-$scale.md" --metadata title=Bench -o "$work/p-$scale.epub") ;;
      pdf) if [ -n "$pdf_engine" ]; then pcmd=(pandoc "$work/book-$scale.md" --metadata title=Bench --pdf-engine="$pdf_engine" -o "$work/p-$scale.pdf"); else pcmd=(false); fi ;;
    esac
    if command -v pandoc >/dev/null && [ "${pcmd[0]}" != false ]; then
      read -r pt pm < <(measure "${pcmd[@]}")
      ps_=$(size "$work/p-$scale.$format")
    else pt=NA; pm=NA; ps_=NA; fi
    mib() { [ "$1" = NA ] && echo NA || awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
    kib() { [ "$1" = NA ] && echo NA || awk -v b="$1" 'BEGIN { printf "%.0f", b / 1024 }'; }
    label=$format; [ "$format" = pdf ] && [ -n "$pdf_engine" ] && label="pdf (pandoc: $pdf_engine)"
    echo "| $scale | $label | $lt | $(mib "$lm") | $(kib "$ls_") | $pt | $(mib "$pm") | $(kib "$ps_") | $(ratio "$lt" "$pt") |"
  done
done
