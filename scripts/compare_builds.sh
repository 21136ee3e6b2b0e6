#!/usr/bin/env bash
# Same bytes from two livret binaries: for a change that must not change the output (a speed
# change), build the default corpus, every fixture, the generated corpora at scales 1 and 10,
# and SEEDS random corpora full of what the typography pass and the URL finder look at (quotes,
# `...`, `--`, French punctuation, URLs, text split by emphasis, code and links; in French,
# English and German) with both, and compare every file but the manifest.
#   scripts/compare_builds.sh OLD_BINARY NEW_BINARY     (SEEDS=150, FORMATS=html,epub)
set -euo pipefail
cd "$(dirname "$0")/.."
old=$(realpath "$1"); new=$(realpath "$2")
seeds=${SEEDS:-150}; formats=${FORMATS:-html,epub}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000 LIVRET_CACHE_DIR=""
differ=0
same() { # corpus name
  rm -rf "$work/a" "$work/b"
  local ra=0 rb=0
  "$old" -q build "$1" -o "$work/a" -f "$formats" >/dev/null 2>"$work/ea" || ra=$?
  "$new" -q build "$1" -o "$work/b" -f "$formats" >/dev/null 2>"$work/eb" || rb=$?
  if [ "$ra" != "$rb" ] || ! diff -q "$work/ea" "$work/eb" >/dev/null ||
    { [ -d "$work/a" ] && ! diff -r -q -x manifest.json "$work/a" "$work/b" >/dev/null; }; then
    echo "differ: $2 (exit $ra / $rb)"
    differ=1
  fi
}
for corpus in content tests/fixtures/*/; do same "$corpus" "$corpus"; done
for scale in 1 10; do
  python3 scripts/gen_corpus.py "$scale" "$work/scale-$scale" >/dev/null
  same "$work/scale-$scale" "gen_corpus.py $scale"
done
for seed in $(seq "$seeds"); do
  python3 - "$seed" "$work/random" <<'PY'
import os, random, shutil, sys
random.seed(int(sys.argv[1]))
root = sys.argv[2]
shutil.rmtree(root, ignore_errors=True)
os.makedirs(root + "/_faq")
atoms = ["l'été", "« citation »", '"quoted"', "'single'", "...", "--", "---", "a:b", "10:30",
         "std::fs", "https://x.org/a--b'c", "www.ex.org/p?q=1", "mailto:a@b.fr", "tel:+33",
         "HTTPS://Y.ORG/x...y", "(https://z.org)", "«https://q.org»", "word", "mot", "!", "?",
         ";", ":", " ", "  ", "\u00a0", "'01", "it's", "*em*", "**strong**", "`code`",
         "[lien](https://l.org)", "<https://auto.org>", "x.", ".", "-", "–", "»", "«",
         # Characters of more than one byte beside marks; 0xC2 also starts ° and no-break spaces.
         "°", "\t", "«\u00a0", "l’", "5€", "café!", "\u202f", "été...", "—"]
def para():
    return "".join(random.choice(atoms) + random.choice(["", " ", " ", "\n", "  \n"])
                   for _ in range(random.randint(3, 25)))
index = "---\nlayout: page\ntitle: FAQ\nbuttons:\n  -\n    title: A\n    default: faq/a\n---\n\n"
open(root + "/index.md", "w").write(index + "\n\n".join(para() for _ in range(5)) + "\n")
blocks = [random.choice(["## ", "- ", "", ""]) + para() for _ in range(40)]
open(root + "/_faq/a.md", "w").write("---\ntitle: A\n---\n\n" + "\n\n".join(blocks) + "\n")
open(root + "/_config.yml", "w").write("lang: " + random.choice(["fr", "en", "de"]) + "\n")
PY
  same "$work/random" "random corpus, seed $seed"
done
[ "$differ" = 0 ] && echo "same bytes: every corpus, $seeds random ones"
exit "$differ"
