#!/usr/bin/env python3
"""Seed corpora for the fuzz targets, from the pages of content/ and tests/fixtures/.

    scripts/fuzz_seeds.py OUTDIR      (writes OUTDIR/pipeline/ and OUTDIR/front_matter/)

front_matter seeds are page files as they are. pipeline seeds follow the harness's format
(fuzz/src/lib.rs): page A's front matter NUL page A's body [NUL page B [NUL image]].
"""
import hashlib
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# The dialect in a few lines, for the mutator to splice into pages.
DIALECT_PAGE = b"""---
title: Dialecte {{ site.title }}
label: "En tant que : x"
lang: fr
---

# Titre {{ page.title }}
{: #titre .classe}

* TOC
{:toc}

Voir {% link faq/b.md %} et [B]({% link faq/b.md %}) ou {% post_url 2020-01-01-x %}.
{% raw %}{{ pas_liquid }}{% endraw %} {% comment %}cach\xc3\xa9{% endcomment %}
{% include absent.html %}

> citation
> {: .note}

1. un
   - deux {: .x}

| a | b |
|---|---|
| 1 | 2 |

<div markdown="1" class="encadre">**gras** <script>x()</script></div>

```liquid
{% link faq/b.md %}
```

`{{ code }}` ![img](/img/a.png){: width="50%"} [^1]

[^1]: note
"""


def write(folder: pathlib.Path, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def split_page(data: bytes) -> tuple[bytes, bytes]:
    """(front matter, body) of a page file; empty front matter when it has none."""
    if data.startswith(b"---\n"):
        end = data.find(b"\n---\n", 3)
        if end >= 0:
            return data[4:end], data[end + 5 :]
    return b"", data


def main() -> None:
    out = pathlib.Path(sys.argv[1])
    pages = sorted(
        p
        for base in ("content", "tests/fixtures")
        for p in (ROOT / base).rglob("*.md")
        if p.name != "README.md"
    )
    images = sorted(
        p for base in ("content", "tests/fixtures") for p in (ROOT / base).rglob("*.png")
    )
    small_image = min(images, key=lambda p: p.stat().st_size).read_bytes()
    texts = [p.read_bytes() for p in pages] + [DIALECT_PAGE]
    for i, text in enumerate(texts):
        write(out / "front_matter", text)
        front, body = split_page(text)
        write(out / "pipeline", front + b"\0" + body)
        # With a second page (the next one) and, every other time, an image.
        second = texts[(i + 1) % len(texts)]
        seed = front + b"\0" + body + b"\0" + second
        if i % 2 == 0:
            seed += b"\0" + small_image
        write(out / "pipeline", seed)
    for image in images:
        write(out / "pipeline", b"title: Image\0![x](/img/a.png)\0\0" + image.read_bytes())
    for seed in hostile_seeds(small_image):
        write(out / "pipeline", seed)


def hostile_seeds(png: bytes) -> list[bytes]:
    """A few of issue 5's hostile shapes, small enough for the fuzzer to mutate."""
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 6, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr
    chunk += struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    bomb = b"\x89PNG\r\n\x1a\n" + chunk
    return [
        b"title: Bombe\0![b](/img/a.png)\0\0" + bomb,
        b"title: Tronque\0![t](/img/a.png)\0\0" + png[: len(png) // 2],
        b"title: GIF\0![g](/img/a.png)\0\0GIF89a\x01\x00\x01\x00\x00\x00\x00;",
        b"title: SVG\0![s](/img/a.png)\0\0<svg xmlns='http://www.w3.org/2000/svg' width='10' height='1e9'/>",
        b"title: Profond\0" + b"> " * 2000 + b"x\n" + b"- " * 2000 + b"y\n",
        b"title: Liens\0" + b"[a](#b) [b](/faq/b/) [c](../../x) " * 300,
        b"a: &a [*a, *a]\nb: &b [*a, *a]\nc: [*b, *b]\nbuttons: 3\0text",
        b"title: \"\xff\xfe\"\r\nlang: x\0\xef\xbb\xbftext\r\rmore\0\0\x00",
        b"title: HTML\0<div><div><table><tr><td><script>x</script><iframe src=javascript:x>"
        b"<img src=x onerror=y><a href='data:text/html,x'>z</a>",
    ]


if __name__ == "__main__":
    main()
