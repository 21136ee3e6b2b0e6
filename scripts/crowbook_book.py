#!/usr/bin/env python3
"""A generated corpus as one Markdown file for Crowbook, which knows no personas: the index page
and the persona pages in book order, front matter, Liquid and IAL lines removed, image paths
made absolute.  crowbook_book.py CORPUS > book.md"""
import pathlib, re, sys

root = pathlib.Path(sys.argv[1])
index = next(p for p in sorted(root.rglob("*.md")) if "buttons:" in p.read_text(encoding="utf-8"))
for p in [index] + sorted((root / "_faq").glob("*.md")):
    text = re.sub(r"\A---\n.*?\n---\n", "", p.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}|^\{:.*\}\s*$", "", text, flags=re.M)
    print(text.replace("](/img/", "](" + str(root) + "/img/"), end="\n\n")
