#!/usr/bin/env python3
"""Draw the three illustrations of the default corpus (content/img/).

Not part of the build: run once by hand (`python3 scripts/make_images.py`, needs Pillow);
the images are committed. One RGBA PNG, one palette PNG, one JPEG, on purpose: the
reader and the writers must handle all three kinds.
"""
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

OUT = Path(__file__).resolve().parent.parent / "content" / "img"
BLUE = (0, 0, 145)
RED = (225, 0, 15)
GREY = (90, 90, 90)


def font(size):
    # DejaVu has the accented letters; Pillow's built-in font does not.
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default(size=size)


def centred(draw, box, text, fnt, fill):
    x0, y0, x1, y1 = box
    left, top, right, bottom = draw.textbbox((0, 0), text, font=fnt)
    draw.text(((x0 + x1 - (right - left)) / 2, (y0 + y1 - (bottom - top)) / 2 - top),
              text, font=fnt, fill=fill)


def arrow(draw, x0, x1, y, fill):
    draw.line((x0, y, x1 - 10, y), fill=fill, width=4)
    draw.polygon([(x1, y), (x1 - 14, y - 9), (x1 - 14, y + 9)], fill=fill)


def data_journey():
    """RGBA: producer -> data.gouv.fr -> reuser, transparent background."""
    img = Image.new("RGBA", (720, 220), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    f, small = font(20), font(14)
    boxes = [
        ((20, 60, 220, 160), "Producteur", "publie un jeu de données"),
        ((260, 60, 460, 160), "data.gouv.fr", "héberge et référence"),
        ((500, 60, 700, 160), "Réutilisateur", "crée un service"),
    ]
    for (box, title, caption) in boxes:
        d.rounded_rectangle(box, radius=14, fill=(232, 237, 255, 235), outline=BLUE, width=3)
        x0, y0, x1, y1 = box
        centred(d, (x0, y0 + 10, x1, y0 + 50), title, f, BLUE)
        centred(d, (x0, y0 + 55, x1, y1 - 10), caption, small, GREY)
    arrow(d, 222, 258, 110, RED)
    arrow(d, 462, 498, 110, RED)
    centred(d, (0, 175, 720, 210), "Le parcours d'une donnée ouverte", small, (40, 40, 40, 255))
    # Semi-transparent halo, so the alpha channel really carries information.
    d.ellipse((300, 8, 420, 52), fill=(225, 0, 15, 90))
    centred(d, (300, 8, 420, 52), "open data", small, (255, 255, 255, 255))
    img.save(OUT / "parcours-donnee.png", optimize=True)


def open_formats():
    """Palette PNG: how reusable each file format is (a little bar chart)."""
    img = Image.new("RGB", (480, 300), (255, 255, 255))
    d = ImageDraw.Draw(img)
    f, small = font(18), font(14)
    centred(d, (0, 8, 480, 40), "Formats : du moins au plus réutilisable", f, BLUE)
    bars = [("PDF", 1), ("XLS", 2), ("CSV", 3), ("JSON", 4), ("RDF", 5)]
    colours = [(200, 200, 200), (170, 190, 230), (120, 150, 220), (60, 100, 200), (0, 0, 145)]
    base = 260
    for i, ((label, stars), col) in enumerate(zip(bars, colours)):
        x0 = 40 + i * 85
        d.rectangle((x0, base - stars * 38, x0 + 60, base), fill=col, outline=(0, 0, 0))
        centred(d, (x0, base + 4, x0 + 60, base + 30), label, small, (0, 0, 0))
        centred(d, (x0, base - stars * 38 - 24, x0 + 60, base - stars * 38), f"{stars}/5", small, GREY)
    d.line((30, base, 460, base), fill=(0, 0, 0), width=2)
    img.convert("P", palette=Image.Palette.ADAPTIVE, colors=16).save(OUT / "formats-ouverts.png", optimize=True)


def search_screenshot():
    """JPEG: a screenshot-like mock of the dataset search page."""
    img = Image.new("RGB", (800, 450), (246, 246, 246))
    d = ImageDraw.Draw(img)
    f, small, big = font(16), font(13), font(24)
    d.rectangle((0, 0, 800, 56), fill=(255, 255, 255))
    d.line((0, 56, 800, 56), fill=(210, 210, 210), width=2)
    d.text((20, 16), "data.gouv.fr", font=big, fill=BLUE)
    for i, item in enumerate(["Données", "Réutilisations", "Organisations", "Guides"]):
        d.text((300 + i * 120, 20), item, font=f, fill=(30, 30, 30))
    d.rounded_rectangle((40, 80, 760, 124), radius=6, fill=(255, 255, 255), outline=BLUE, width=2)
    d.text((56, 93), "qualité de l'air", font=f, fill=(60, 60, 60))
    d.rectangle((660, 80, 760, 124), fill=BLUE)
    centred(d, (660, 80, 760, 124), "Rechercher", f, (255, 255, 255))
    results = [
        ("Indice de qualité de l'air quotidien", "Fédération Atmo France · CSV, JSON · mis à jour hier"),
        ("Mesures des stations de surveillance", "Laboratoire central · CSV · 1 240 ressources"),
        ("Épisodes de pollution par commune", "Ministère de la Transition écologique · XLSX"),
    ]
    for i, (title, meta) in enumerate(results):
        y = 150 + i * 95
        d.rectangle((40, y, 760, y + 80), fill=(255, 255, 255), outline=(220, 220, 220))
        d.rectangle((56, y + 14, 106, y + 64), fill=(225, 230, 250))
        d.text((122, y + 16), title, font=f, fill=BLUE)
        d.text((122, y + 46), meta, font=small, fill=GREY)
    img.save(OUT / "capture-recherche.jpg", quality=80, optimize=True)


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    data_journey()
    open_formats()
    search_screenshot()
