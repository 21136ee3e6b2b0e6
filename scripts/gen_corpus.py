#!/usr/bin/env python3
"""Generate a synthetic FAQ corpus for benchmarks: gen_corpus.py SCALE OUTDIR [PERSONAS]

Same format as content/ (index with five block-form buttons, one page per persona in the
`_faq` collection, one appendix page, images under img/). Scale 1 is about the size of the
default corpus; scale N has N times as many sections per page. Deterministic: one seeded
generator, no clock, files written in sorted order. Every link, anchor and image it writes
resolves, so a correct tool builds the result without errors. Python 3.11 stdlib only.
PERSONAS (default 5) above 5 adds personas `persona-006`… (what `--split` is measured on).
"""

import json
import random
import shutil
import sys
from pathlib import Path

PERSONAS = [
    ("citoyen", "Citoyen", "En tant que citoyen"),
    ("producteur", "Producteur", "En tant que producteur"),
    ("reutilisateur", "Réutilisateur", "En tant que réutilisateur"),
    ("developpeur", "Développeur", "En tant que développeur"),
    ("integrateur", "Intégrateur", "En tant qu'intégrateur"),
]
APPENDIX = ("glossaire", "Glossaire")
IMAGES = ["capture-recherche.jpg", "formats-ouverts.png", "parcours-donnee.png"]
# Sections per persona page at scale 1: gives ~150 lines and ~8 KB a page, like content/.
SECTIONS_PER_SCALE = 8

NOUNS = [
    "la donnée", "le jeu de données", "la ressource", "la licence", "l'organisation",
    "la plateforme", "la réutilisation", "le producteur", "le fichier", "le catalogue",
    "le schéma", "la commune", "le budget", "la collectivité", "le format", "le moissonnage",
    "la discussion", "la mise à jour", "l'adresse", "le territoire", "le service public",
    "l'administration", "la base de référence", "la métadonnée", "la visualisation", "la carte",
    "la statistique", "l'archive", "l'API", "le tableau",
]
ADJECTIVES = [
    "publique", "stable", "récente", "nationale", "locale", "lisible", "gratuite", "officielle",
    "fiable", "régulière", "utile", "accessible", "complète", "ouverte", "documentée",
]
VERBS = [
    "publie", "décrit", "met à jour", "consulte", "télécharge", "vérifie", "signale", "cite",
    "croise", "archive", "documente", "partage", "référence", "corrige", "valide",
]
SUBJECTS = [
    "Le producteur", "La plateforme", "Chaque organisation", "Un réutilisateur", "L'équipe",
    "La commune", "Le service", "Tout citoyen", "L'intégrateur", "Une association",
]
CONNECTORS = [
    "ensuite", "en pratique", "le plus souvent", "dans la plupart des cas", "par ailleurs",
    "en général", "sans délai", "chaque semaine", "dès la publication", "à chaque version",
]
QUESTION_STARTS = [
    "Comment", "Pourquoi", "Quand", "Où", "À quel moment", "Dans quel cas",
]


def bare(noun):
    """The noun without its article: "le jeu de données" -> "jeu de données"."""
    return noun[2:] if noun.startswith("l'") else noun.split(" ", 1)[1]


def words(rng, n):
    return " ".join(bare(rng.choice(NOUNS)) for _ in range(n))


def sentence(rng):
    s = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(NOUNS)}, {rng.choice(CONNECTORS)}"
    tail = rng.random()
    if tail < 0.15:
        return s + f" : {rng.choice(NOUNS)} reste {rng.choice(ADJECTIVES)}."
    if tail < 0.25:
        return s + f" ; « {bare(rng.choice(NOUNS))} » en est l'exemple."
    if tail < 0.30:
        return s + " !"
    return s + "."


def paragraph(rng, lines):
    """A paragraph hard-wrapped on `lines` source lines, as kramdown users write."""
    return [" ".join(sentence(rng) for _ in range(2)) for _ in range(lines)]


def question(rng):
    return f"{rng.choice(QUESTION_STARTS)} on {rng.choice(VERBS)} {rng.choice(NOUNS)} ?"


def bullet_list(rng):
    out = []
    for _ in range(rng.randint(3, 5)):
        out.append(f"- {rng.choice(NOUNS)} {rng.choice(ADJECTIVES)} ;")
    if rng.random() < 0.5:
        out.append(f"  - {words(rng, 3)} ;")
        out.append(f"    1. {words(rng, 2)} ;")
        out.append(f"    2. {words(rng, 2)}.")
    return out


def numbered_list(rng):
    return [f"{i}. {sentence(rng)}" for i in range(1, rng.randint(3, 5) + 1)]


def table(rng):
    out = ["| Format | Usage | Ouvert ? |", "|---|---|:---:|"]
    for _ in range(rng.randint(3, 5)):
        out.append(f"| {rng.choice(['CSV', 'JSON', 'GeoJSON', 'XLSX', 'RDF'])} "
                   f"| {words(rng, 3)} | {rng.choice(['oui', 'non', 'en partie'])} |")
    if rng.random() < 0.5:
        out.append("{: .table }")
    return out


def code_block(rng):
    if rng.random() < 0.5:
        ident = "".join(rng.choice("0123456789abcdef") for _ in range(24))
        return ["```html", f'<div data-udata-dataset="{ident}"></div>',
                '<script src="https://static.data.gouv.fr/static/oembed.js" async></script>',
                "```"]
    return ["```bash", f'curl -s "https://www.data.gouv.fr/api/1/datasets/?q={bare(rng.choice(NOUNS)).split()[0]}"',
            "```"]


def persona_page(rng, slug, title, label, sections, anchors, others):
    """Render one persona page. `anchors[s]` lists the anchor ids of page `s`."""
    lines = ["---", f"title: {title}",
             f"subtitle: {bare(rng.choice(NOUNS)).capitalize()} et {rng.choice(NOUNS)}",
             f"label: {label}", f"summary: {json.dumps(sentence(rng), ensure_ascii=False)}", "---", "", f"# {title}", ""]
    if slug == PERSONAS[0][0]:
        lines += ["* TOC", "{:toc}", ""]
    lines += paragraph(rng, 3) + [""]
    lines += ["Sur cette page :", ""]
    for anchor in anchors[slug][: min(6, len(anchors[slug]))]:
        lines.append(f"- [{words(rng, 2).capitalize()}](#{anchor})")
    lines.append("")
    footnotes, refs = [], []
    for n in range(sections):
        lines += [f'<span id="{anchors[slug][n]}"></span>', f"## {question(rng)}", ""]
        lines += paragraph(rng, rng.randint(2, 4)) + [""]
        kind = n % 8
        if kind == 0:
            lines += bullet_list(rng)
        elif kind == 1:
            lines += table(rng)
        elif kind == 2:
            other = rng.choice(others)
            target = rng.choice(anchors[other])
            lines.append(f"Voir aussi la [question voisine](/faq/{other}.html#{target}) et "
                         f"[la partie {other}]({{% link _faq/{other}.md %}}).")
        elif kind == 3:
            lines += code_block(rng)
        elif kind == 4:
            image = IMAGES[n // 8 % len(IMAGES)]
            lines.append(f"![Illustration : {words(rng, 3)}](/img/{image})")
        elif kind == 5:
            footnotes.append(len(footnotes) + 1)
            lines.append(f"{sentence(rng).rstrip('.! ')}[^{footnotes[-1]}].")
        elif kind == 6:
            refs.append(f"ref{len(refs) + 1}")
            lines.append(f"Le [guide sur {rng.choice(NOUNS)}][{refs[-1]}] donne des exemples.")
        else:
            lines += [f"> {sentence(rng)}", f"> {sentence(rng)}"]
        lines.append("")
        if rng.random() < 0.4:
            lines += [f"### {question(rng)}", ""] + paragraph(rng, 2) + [""]
            lines += numbered_list(rng) + [""]
    for fn in footnotes:
        lines.append(f"[^{fn}]: {sentence(rng)}")
    if footnotes:
        lines.append("")
    for ref in refs:
        lines.append(f"[{ref}]: https://guides.etalab.gouv.fr/{ref}/")
    return "\n".join(lines).rstrip("\n") + "\n"


def index_page(rng):
    lines = ["---", "layout: page", "title: Découvrir l'OpenData (corpus synthétique)",
             "summary: Un corpus généré pour mesurer livret", "", "buttons:"]
    for slug, title, _ in PERSONAS:
        lines += ["  -", f"    title: {title}", f"    default: faq/{slug}"]
    lines += ["", "---", "", "# Découvrir l'OpenData (corpus synthétique)", ""]
    lines += paragraph(rng, 4) + ["", f"![Schéma : {words(rng, 3)}](/img/{IMAGES[2]})", ""]
    lines += [f"## {question(rng)}", ""] + paragraph(rng, 3) + [""] + bullet_list(rng)
    lines += ["", "Écrivez à l'équipe : <mailto:info@data.gouv.fr>."]
    return "\n".join(lines) + "\n"


def appendix_page(rng):
    lines = ["---", f"title: {APPENDIX[1]}", f"summary: {json.dumps(sentence(rng), ensure_ascii=False)}", "---", "",
             f"# {APPENDIX[1]}", ""]
    for noun in sorted({bare(n) for n in NOUNS}):
        lines += [f"## {noun[0].upper()}{noun[1:]}", "", sentence(rng), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


CONFIG = """title: Découvrir l'OpenData (corpus synthétique)
baseurl: ""
url: "https://faq.example.org"
collections:
  faq:
    output: true
    permalink: /faq/:name.html
"""


def main(argv):
    if len(argv) not in (3, 4) or not argv[1].isdigit() or int(argv[1]) < 1 or (
            len(argv) == 4 and (not argv[3].isdigit() or int(argv[3]) < len(PERSONAS))):
        print("usage: gen_corpus.py SCALE OUTDIR [PERSONAS]   (SCALE: a whole number >= 1; "
              f"PERSONAS >= {len(PERSONAS)})", file=sys.stderr)
        return 2
    scale, out = int(argv[1]), Path(argv[2])
    for n in range(len(PERSONAS), int(argv[3]) if len(argv) == 4 else len(PERSONAS)):
        PERSONAS.append((f"persona-{n + 1:03}", f"Persona {n + 1}", f"En tant que persona {n + 1}"))
    images_dir = Path(__file__).resolve().parent.parent / "content" / "img"
    rng = random.Random(42)
    sections = SECTIONS_PER_SCALE * scale
    anchors = {slug: [f"{slug[:4]}-q{n + 1}" for n in range(sections)] for slug, _, _ in PERSONAS}
    files = {"_config.yml": CONFIG, "index.md": index_page(rng),
             "livret.toml": 'name = "synthetique"\ndate = "2026-11-01"\n'}
    for slug, title, label in PERSONAS:
        others = [s for s, _, _ in PERSONAS if s != slug]
        files[f"_faq/{slug}.md"] = persona_page(rng, slug, title, label, sections, anchors, others)
    files[f"_faq/{APPENDIX[0]}.md"] = appendix_page(rng)
    try:
        for rel in sorted(files):
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files[rel], encoding="utf-8")
        (out / "img").mkdir(parents=True, exist_ok=True)
        for image in IMAGES:
            shutil.copyfile(images_dir / image, out / "img" / image)
    except OSError as err:
        print(f"gen_corpus.py: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
