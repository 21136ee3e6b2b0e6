#!/usr/bin/env bash
# Benchmark: livret vs pandoc (and, for the PDF, Typst) on generated corpora (scale 1 ≈ the
# default corpus, 10, 100), plus one 2 MB unbroken word. Wall time and peak memory per format,
# median of N runs, interleaved in one run; file sizes; PDF memory per page. Markdown tables.
#   scripts/bench.sh [-j N] [SCALES...]      (default: 1 10 100; RUNS=5; FORMATS="html epub pdf print booklet cards")
# -j N is passed to every livret build (default: livret's own, the cores available). With
# PARALLEL=1, instead: a three-format build against its slowest format alone, and a --split
# build, at -j 1 and -j N (the scaling table of the README); each format alone runs at -j N.
# Typst: PyPI `typst` (compile alone, from Typst input that pandoc 3 writes: PyPI
# `pypandoc-binary`), run by BENCH_PY (default: the a11y tools' venv, else python3).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
jobs=()
if [ "${1:-}" = -j ]; then jobs=(-j "$2"); shift 2; fi
scales=("$@"); [ ${#scales[@]} -gt 0 ] || scales=(1 10 100)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000
# A cache of its own (the EPUB covers), filled by the first build: never the user's.
export LIVRET_CACHE_DIR=${LIVRET_CACHE_DIR-$work/cache}

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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/ || b !~ /^[0-9.]+$/ || b == 0) print "–"; else printf "%.2f×", a / b }'; }

if [ "${PARALLEL:-}" = 1 ]; then
  n=${jobs[1]:-2}
  echo "| scale | build | -j 1 (s) | -j $n (s) | -j 1 ÷ slowest alone | -j $n ÷ slowest alone | -j $n ÷ -j 1 |"
  echo "|---|---|---|---|---|---|---|"
  for scale in "${scales[@]}"; do
    corpus="$work/corpus-$scale"
    python3 scripts/gen_corpus.py "$scale" "$corpus"
    slowest=0
    for format in html epub pdf; do
      read -r t _ < <(measure "$livret" -q build "$corpus" -o "$work/out" -f "$format" -j "$n")
      slowest=$(awk -v a="$slowest" -v b="$t" 'BEGIN { print (b > a) ? b : a }')
    done
    read -r one _ < <(measure "$livret" -q build "$corpus" -o "$work/out" -f html,epub,pdf -j 1)
    read -r many _ < <(measure "$livret" -q build "$corpus" -o "$work/out" -f html,epub,pdf -j "$n")
    echo "| $scale | html,epub,pdf (slowest alone at -j $n: $slowest s) | $one | $many | $(ratio "$one" "$slowest") | $(ratio "$many" "$slowest") | $(ratio "$many" "$one") |"
    read -r one _ < <(measure "$livret" -q build "$corpus" -o "$work/out" --split -j 1)
    read -r many _ < <(measure "$livret" -q build "$corpus" -o "$work/out" --split -j "$n")
    echo "| $scale | --split, 3 formats | $one | $many | – | – | $(ratio "$many" "$one") |"
  done
  exit 0
fi

pdf_engine=""
# pandoc ≥ 2.19 says --embed-resources; older ones --self-contained.
self_contained=--self-contained
pandoc --help 2>/dev/null | grep -q -- --embed-resources && self_contained=--embed-resources
command -v wkhtmltopdf >/dev/null && pdf_engine=wkhtmltopdf
[ -z "$pdf_engine" ] && command -v pdflatex >/dev/null && pdf_engine=pdflatex

py=${BENCH_PY:-$HOME/.cache/a11y-tools/venv/bin/python}
[ -x "$py" ] || py=python3
typst_ok=false
if "$py" -c "import typst, pypandoc" 2>/dev/null; then
  typst_ok=true
  pandoc3=$("$py" -c "import pypandoc; print(pypandoc.get_pandoc_path())")
fi
pages() { pdfinfo "$1" 2>/dev/null | awk '/^Pages:/ { print $2 }' || echo NA; }

echo "| scale | format | livret time (s) | livret peak (MiB) | livret size (KiB) | pandoc time (s) | pandoc peak (MiB) | pandoc size (KiB) | time livret/pandoc | Typst time (s) | Typst peak (MiB) | time livret/Typst | livret MiB/page |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
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
    # A link whose target was a Liquid tag is left as its text (Typst refuses empty URLs).
    text = re.sub(r"\[([^\]]*)\]\(\s*\)", r"\1", text)
    print(text.replace("](/img/", "](" + str(root) + "/img/"), end="\n\n")
PY
  for format in ${FORMATS:-html epub pdf print booklet cards}; do
    read -r lt lm < <(measure "$livret" -q build "$corpus" -o "$work/out-$scale" -f "$format" "${jobs[@]}")
    # The paper editions are `<name>.<format>.pdf`; pandoc and Typst make none of them.
    case $format in
      print|booklet|cards) file=$(ls "$work/out-$scale"/*."$format".pdf | head -1) ;;
      *) file=$(ls "$work/out-$scale"/*."$format" 2>/dev/null | grep -v '\.\(print\|booklet\|cards\)\.pdf$' | head -1 || true) ;;
    esac
    ls_=$(size "$file")
    case $format in
      html) pcmd=(pandoc "$work/book-$scale.md" -s "$self_contained" --metadata title=Bench -o "$work/p-$scale.html") ;;
      epub) pcmd=(pandoc "$work/book-$scale.md" --metadata title=Bench -o "$work/p-$scale.epub") ;;
      print|booklet|cards) pcmd=(false) ;;
      pdf) if [ -n "$pdf_engine" ]; then pcmd=(pandoc "$work/book-$scale.md" --metadata title=Bench --pdf-engine="$pdf_engine" -o "$work/p-$scale.pdf"); else pcmd=(false); fi ;;
    esac
    if command -v pandoc >/dev/null && [ "${pcmd[0]}" != false ]; then
      read -r pt pm < <(measure "${pcmd[@]}")
      ps_=$(size "$work/p-$scale.$format")
    else pt=NA; pm=NA; ps_=NA; fi
    mib() { [ "$1" = NA ] && echo NA || awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
    kib() { [ "$1" = NA ] && echo NA || awk -v b="$1" 'BEGIN { printf "%.0f", b / 1024 }'; }
    label=$format; [ "$format" = pdf ] && [ -n "$pdf_engine" ] && label="pdf (pandoc: $pdf_engine)"
    tt=–; tm=NA; per_page=–
    if [ "$format" = pdf ]; then
      np=$(pages "$(ls "$work/out-$scale"/*.pdf | grep -v '\.\(print\|booklet\|cards\)\.pdf$' | head -1)")
      per_page=$(awk -v k="$lm" -v n="$np" 'BEGIN { if (n > 0) printf "%.3f", k / 1024 / n; else print "–" }')
      if $typst_ok; then
        "$pandoc3" "$work/book-$scale.md" -s -t typst --metadata title=Bench -o "$work/book-$scale.typ"
        read -r tt tm < <(measure "$py" -c 'import sys, typst; typst.compile(sys.argv[1], output=sys.argv[2], root="/")' "$work/book-$scale.typ" "$work/t-$scale.pdf")
      fi
    fi
    echo "| $scale | $label | $lt | $(mib "$lm") | $(kib "$ls_") | $pt | $(mib "$pm") | $(kib "$ps_") | $(ratio "$lt" "$pt") | $tt | $(mib "$tm") | $(ratio "$lt" "$tt") | $per_page |"
  done
done

# One unbroken word of 2 MB (a pasted base64 blob): the PDF against HTML + EPUB of the same book.
word="$work/word"
mkdir -p "$word/faq"
printf -- '---\ntitle: Mot\nbuttons:\n  - title: Citoyen\n    url: faq/citoyen\n---\nIntro\n' >"$word/index.md"
python3 -c 'import sys; w = ("abcdefghijklmnopqrstuvwxyz0123456789+/" * 60000)[:2000000]; open(sys.argv[1], "w").write("---\ntitle: Citoyen\n---\n" + w + "\n")' "$word/faq/citoyen.md"
read -r wp _ < <(measure "$livret" -q build "$word" -o "$work/word-out" -f pdf)
read -r we _ < <(measure "$livret" -q build "$word" -o "$work/word-out" -f html,epub)
echo
echo "| input | livret PDF time (s) | livret HTML+EPUB time (s) | PDF / (HTML+EPUB) |"
echo "|---|---|---|---|"
echo "| one 2 MB word | $wp | $we | $(ratio "$wp" "$we") |"
