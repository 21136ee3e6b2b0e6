//! The post-pass over genpdf's bytes (with our own lopdf): markers → images, shaded boxes, link
//! annotations and destinations; outline; metadata as proper text strings; `/Lang`; fonts
//! subset and named; every stream compressed; a deterministic `/ID`.

use super::elements::{Dest, Event, Mark, PT};
use super::fonts::{FontSet, glyph_chars};
use super::layout::OutlineEntry;
use crate::diag::{Diagnostics, Error, Result};
use crate::ir::{Asset, Document, ImageFormat};
use crate::write::WriteContext;
use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};

fn err(message: impl Into<String>) -> Error {
    Error::Write {
        format: "pdf",
        message: message.into(),
    }
}

/// A PDF text string: PDFDocEncoding-safe ASCII as is, anything else UTF-16BE with a BOM.
pub fn text_string(s: &str) -> Object {
    if s.chars().all(|c| (' '..='~').contains(&c)) {
        Object::String(s.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in s.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

fn pdf_date(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "D:{y:04}{m:02}{d:02}{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn number(o: &Object) -> Option<f64> {
    match o {
        Object::Integer(i) => Some(*i as f64),
        Object::Real(r) => Some(f64::from(*r)),
        _ => None,
    }
}

/// A link's destination and its rectangles on one page (x0, y0, x1, y1 in points).
type LinkPieces = (Dest, Vec<[f64; 4]>);

/// Where a marked event landed, in PDF points (origin bottom-left).
#[derive(Debug, Clone)]
struct Placed {
    event: Event,
    x: f64,
    /// Top edge.
    y: f64,
}

/// Removes the marker strokes from a content stream; returns their points in order.
fn strip_markers(ops: Vec<Operation>) -> (Vec<Operation>, Vec<(f64, f64)>) {
    let mut kept = Vec::with_capacity(ops.len());
    let mut points = Vec::new();
    let mut in_marker = false;
    for op in ops {
        if op.operator == "K" && op.operands.len() == 4 {
            in_marker = true;
            continue;
        }
        if in_marker {
            match op.operator.as_str() {
                "m" => {
                    if let (Some(x), Some(y)) = (
                        op.operands.first().and_then(number),
                        op.operands.get(1).and_then(number),
                    ) {
                        points.push((x, y));
                    }
                }
                "S" | "s" | "n" => in_marker = false,
                _ => {}
            }
            continue;
        }
        kept.push(op);
    }
    (kept, points)
}

fn encode(operations: Vec<Operation>) -> Result<Vec<u8>> {
    Content { operations }
        .encode()
        .map_err(|e| err(e.to_string()))
}

fn op(operator: &str, operands: Vec<Object>) -> Operation {
    Operation::new(operator, operands)
}

fn real(v: f64) -> Object {
    Object::Real(v as f32)
}

/// An image as a PDF image XObject: JPEG kept as DCT, others decoded and flattened on white.
fn image_xobject(asset: &Asset) -> std::result::Result<Stream, String> {
    match asset.format {
        ImageFormat::Jpeg => {
            let components =
                jpeg_components(&asset.bytes).ok_or("not a baseline/progressive JPEG")?;
            let space = match components {
                1 => "DeviceGray",
                3 => "DeviceRGB",
                4 => "DeviceCMYK",
                n => return Err(format!("JPEG with {n} components")),
            };
            let mut dict = Dictionary::new();
            dict.set("Type", Object::Name(b"XObject".to_vec()));
            dict.set("Subtype", Object::Name(b"Image".to_vec()));
            dict.set("Width", Object::Integer(i64::from(asset.width)));
            dict.set("Height", Object::Integer(i64::from(asset.height)));
            dict.set("ColorSpace", Object::Name(space.as_bytes().to_vec()));
            dict.set("BitsPerComponent", Object::Integer(8));
            dict.set("Filter", Object::Name(b"DCTDecode".to_vec()));
            if components == 4 {
                // Adobe CMYK JPEGs are stored inverted.
                dict.set(
                    "Decode",
                    Object::Array(
                        [1, 0, 1, 0, 1, 0, 1, 0]
                            .into_iter()
                            .map(Object::Integer)
                            .collect(),
                    ),
                );
            }
            Ok(Stream::new(dict, asset.bytes.to_vec()).with_compression(false))
        }
        ImageFormat::Png | ImageFormat::Gif => {
            let format = if asset.format == ImageFormat::Png {
                image::ImageFormat::Png
            } else {
                image::ImageFormat::Gif
            };
            let mut reader = image::ImageReader::with_format(
                std::io::Cursor::new(asset.bytes.as_slice()),
                format,
            );
            let mut limits = image::Limits::default();
            limits.max_alloc = Some(512 * 1024 * 1024);
            reader.limits(limits);
            let decoded = reader.decode().map_err(|e| e.to_string())?;
            let grey = !decoded.color().has_color();
            let rgba = decoded.to_rgba8();
            let (w, h) = rgba.dimensions();
            let channels = if grey { 1 } else { 3 };
            let mut raw = Vec::with_capacity((w * h) as usize * channels);
            for px in rgba.pixels() {
                let [r, g, b, a] = px.0;
                let over = |c: u8| -> u8 {
                    let a = u16::from(a);
                    ((u16::from(c) * a + 255 * (255 - a) + 127) / 255) as u8
                };
                if grey {
                    raw.push(over(r));
                } else {
                    raw.extend_from_slice(&[over(r), over(g), over(b)]);
                }
            }
            let mut dict = Dictionary::new();
            dict.set("Type", Object::Name(b"XObject".to_vec()));
            dict.set("Subtype", Object::Name(b"Image".to_vec()));
            dict.set("Width", Object::Integer(i64::from(w)));
            dict.set("Height", Object::Integer(i64::from(h)));
            let space: &[u8] = if grey { b"DeviceGray" } else { b"DeviceRGB" };
            dict.set("ColorSpace", Object::Name(space.to_vec()));
            dict.set("BitsPerComponent", Object::Integer(8));
            Ok(Stream::new(dict, raw))
        }
        ImageFormat::Svg => Err("SVG is not drawn in the PDF yet".into()),
    }
}

/// Number of colour components from a JPEG's start-of-frame segment.
fn jpeg_components(bytes: &[u8]) -> Option<u8> {
    if bytes.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            i += 1;
            continue;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1;
            continue;
        }
        if marker == 0xD8 || (0xD0..=0xD7).contains(&marker) || marker == 0x01 {
            i += 2;
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            return bytes.get(i + 9).copied();
        }
        i += 2 + len;
    }
    None
}

pub struct PostInput<'a> {
    pub doc: &'a Document,
    pub ctx: &'a WriteContext,
    pub bytes: &'a [u8],
    pub events: &'a [Event],
    pub outline: &'a [OutlineEntry],
    pub fonts: &'a FontSet,
}

pub fn finish(input: PostInput<'_>, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    let mut pdf = lopdf::Document::load_mem(input.bytes)
        .map_err(|e| err(format!("re-reading genpdf output: {e}")))?;
    pdf.version = "1.7".into();
    let pages: Vec<ObjectId> = pdf.get_pages().into_values().collect();

    // 1. Markers → positions; strip them.
    let mut by_page: BTreeMap<usize, Vec<&Event>> = BTreeMap::new();
    for event in input.events {
        by_page.entry(event.page).or_default().push(event);
    }
    let mut placed: Vec<(usize, Placed)> = Vec::new();
    // Each page's content, re-encoded as soon as it is decoded: decoded operations take about
    // 50 times the room of their bytes, and a long book has thousands of pages.
    let mut contents: Vec<Vec<u8>> = Vec::new();
    let mut used_glyphs: BTreeMap<Vec<u8>, BTreeSet<u16>> = BTreeMap::new();
    for (idx, page_id) in pages.iter().enumerate() {
        let raw = pdf.get_page_content(*page_id);
        let content = Content::decode(&raw).map_err(|e| err(format!("page {}: {e}", idx + 1)))?;
        let (ops, points) = strip_markers(content.operations);
        collect_glyphs(&ops, &mut used_glyphs);
        let events = by_page.remove(&idx).unwrap_or_default();
        if events.len() != points.len() {
            return Err(err(format!(
                "page {}: {} layout markers for {} events",
                idx + 1,
                points.len(),
                events.len()
            )));
        }
        for (event, (x, y)) in events.into_iter().zip(points) {
            placed.push((
                idx,
                Placed {
                    event: event.clone(),
                    x,
                    y,
                },
            ));
        }
        contents.push(encode(ops)?);
    }

    // 2. Anchors: first place wins.
    let mut anchors: HashMap<&str, (usize, f64)> = HashMap::new();
    for (page, p) in &placed {
        if let Mark::Anchor(a) = &p.event.mark {
            anchors.entry(a.as_str()).or_insert((*page, p.y));
        }
    }

    // 3. Backgrounds and images into the page streams.
    let mut image_ids: BTreeMap<usize, Option<ObjectId>> = BTreeMap::new();
    let mut page_images: BTreeMap<usize, Vec<(String, ObjectId)>> = BTreeMap::new();
    let mut under: BTreeMap<usize, Vec<Operation>> = BTreeMap::new();
    let mut over: BTreeMap<usize, Vec<Operation>> = BTreeMap::new();
    for (page, p) in &placed {
        let w = p.event.width / PT;
        let h = p.event.height / PT;
        match &p.event.mark {
            Mark::Shade(level) => {
                under.entry(*page).or_default().extend([
                    op("q", vec![]),
                    op("g", vec![real(f64::from(*level) / 255.0)]),
                    op("re", vec![real(p.x), real(p.y - h), real(w), real(h)]),
                    op("f", vec![]),
                    op("Q", vec![]),
                ]);
            }
            Mark::Image(asset_idx) => {
                let id = match image_ids.get(asset_idx) {
                    Some(id) => *id,
                    None => {
                        let id = match input
                            .doc
                            .assets
                            .get(*asset_idx)
                            .map(|a| (a, image_xobject(a)))
                        {
                            Some((_, Ok(stream))) => Some(pdf.add_object(stream)),
                            Some((asset, Err(message))) => {
                                diags
                                    .warning(
                                        asset.path.clone(),
                                        0,
                                        0,
                                        format!("PDF: image left out: {message}"),
                                    )
                                    .with_hint("re-save the image as PNG or baseline JPEG");
                                None
                            }
                            None => None,
                        };
                        image_ids.insert(*asset_idx, id);
                        id
                    }
                };
                let Some(id) = id else { continue };
                let list = page_images.entry(*page).or_default();
                let name = format!("Im{}", list.len() + 1);
                list.push((name.clone(), id));
                over.entry(*page).or_default().extend([
                    op("q", vec![]),
                    op(
                        "cm",
                        vec![
                            real(w),
                            real(0.0),
                            real(0.0),
                            real(h),
                            real(p.x),
                            real(p.y - h),
                        ],
                    ),
                    op("Do", vec![Object::Name(name.into_bytes())]),
                    op("Q", vec![]),
                ]);
            }
            Mark::Anchor(_) | Mark::Link { .. } => {}
        }
    }
    for (idx, page_id) in pages.iter().enumerate() {
        // lopdf puts a newline between operations, none after the last: join parts likewise.
        let parts = [
            encode(under.remove(&idx).unwrap_or_default())?,
            std::mem::take(&mut contents[idx]),
            encode(over.remove(&idx).unwrap_or_default())?,
        ];
        let mut bytes = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
        for part in parts.iter().filter(|p| !p.is_empty()) {
            if !bytes.is_empty() {
                bytes.push(b'\n');
            }
            bytes.extend_from_slice(part);
        }
        let content_ids = pdf.get_page_contents(*page_id);
        let Some(&first) = content_ids.first() else {
            continue;
        };
        if let Ok(Object::Stream(stream)) = pdf.get_object_mut(first) {
            stream.dict.remove(b"Filter");
            stream.set_plain_content(bytes);
        }
        let page = pdf
            .get_dictionary_mut(*page_id)
            .map_err(|e| err(e.to_string()))?;
        page.set("Contents", Object::Reference(first));
        if let Some(images) = page_images.remove(&idx) {
            let mut xobjects = Dictionary::new();
            for (name, id) in images {
                xobjects.set(name, Object::Reference(id));
            }
            let resources = match page.get(b"Resources") {
                Ok(Object::Reference(r)) => Some(*r),
                _ => None,
            };
            match resources {
                Some(r) => {
                    if let Ok(res) = pdf.get_dictionary_mut(r) {
                        res.set("XObject", Object::Dictionary(xobjects));
                    }
                }
                None => {
                    let mut res = Dictionary::new();
                    res.set("XObject", Object::Dictionary(xobjects));
                    page.set("Resources", Object::Dictionary(res));
                }
            }
        }
    }

    // 4. Link annotations: one per link and page, its line pieces as QuadPoints.
    let goto = |anchor: &str| anchors.get(anchor).copied();
    let mut links: BTreeMap<(usize, usize), LinkPieces> = BTreeMap::new();
    for (page, p) in &placed {
        if let Mark::Link { id, dest } = &p.event.mark {
            let rect = [
                p.x,
                p.y - p.event.height / PT,
                p.x + p.event.width / PT,
                p.y,
            ];
            links
                .entry((*page, *id))
                .or_insert_with(|| (dest.clone(), Vec::new()))
                .1
                .push(rect);
        }
    }
    let mut annots: BTreeMap<usize, Vec<Object>> = BTreeMap::new();
    for ((page, _), (dest, rects)) in links {
        let action = match &dest {
            Dest::Uri(uri) => {
                let mut a = Dictionary::new();
                a.set("S", Object::Name(b"URI".to_vec()));
                a.set(
                    "URI",
                    Object::String(uri.as_bytes().to_vec(), StringFormat::Literal),
                );
                Some(("A", Object::Dictionary(a)))
            }
            Dest::GoTo { anchor, chapter } => {
                let target = anchor.as_deref().and_then(goto).or_else(|| goto(chapter));
                target.and_then(|(tp, y)| {
                    pages.get(tp).map(|&pid| {
                        let dest = vec![
                            Object::Reference(pid),
                            Object::Name(b"XYZ".to_vec()),
                            Object::Null,
                            real(y + 6.0),
                            Object::Null,
                        ];
                        ("Dest", Object::Array(dest))
                    })
                })
            }
        };
        let Some((key, value)) = action else { continue };
        let x0 = rects.iter().map(|r| r[0]).fold(f64::MAX, f64::min);
        let y0 = rects.iter().map(|r| r[1]).fold(f64::MAX, f64::min);
        let x1 = rects.iter().map(|r| r[2]).fold(f64::MIN, f64::max);
        let y1 = rects.iter().map(|r| r[3]).fold(f64::MIN, f64::max);
        let mut annot = Dictionary::new();
        annot.set("Type", Object::Name(b"Annot".to_vec()));
        annot.set("Subtype", Object::Name(b"Link".to_vec()));
        annot.set(
            "Rect",
            Object::Array(vec![real(x0), real(y0), real(x1), real(y1)]),
        );
        annot.set("Border", Object::Array(vec![0.into(), 0.into(), 0.into()]));
        if rects.len() > 1 {
            let quads = rects
                .iter()
                .flat_map(|r| [r[0], r[3], r[2], r[3], r[0], r[1], r[2], r[1]])
                .map(real)
                .collect();
            annot.set("QuadPoints", Object::Array(quads));
        }
        if let Some(&pid) = pages.get(page) {
            annot.set("P", Object::Reference(pid));
        }
        annot.set(key, value);
        let id = pdf.add_object(annot);
        annots.entry(page).or_default().push(Object::Reference(id));
    }
    for (page, list) in annots {
        if let Some(&pid) = pages.get(page)
            && let Ok(dict) = pdf.get_dictionary_mut(pid)
        {
            dict.set("Annots", Object::Array(list));
        }
    }

    // 5. Outline.
    let outlines_id = pdf.new_object_id();
    let mut items: Vec<(ObjectId, Dictionary)> = Vec::new();
    let top = add_outline_level(
        &mut pdf,
        &mut items,
        input.outline,
        outlines_id,
        &pages,
        &anchors,
    );
    for (id, dict) in items {
        pdf.objects.insert(id, Object::Dictionary(dict));
    }
    let mut outlines = Dictionary::new();
    outlines.set("Type", Object::Name(b"Outlines".to_vec()));
    if let (Some(first), Some(last)) = (top.first(), top.last()) {
        outlines.set("First", Object::Reference(*first));
        outlines.set("Last", Object::Reference(*last));
        outlines.set("Count", Object::Integer(top.len() as i64));
    }
    pdf.objects
        .insert(outlines_id, Object::Dictionary(outlines));

    // 6. Catalog: outline, language, no leftovers of printpdf's PDF/X attempt.
    let meta = &input.doc.meta;
    {
        let catalog = pdf.catalog_mut().map_err(|e| err(e.to_string()))?;
        catalog.set("Outlines", Object::Reference(outlines_id));
        catalog.set("PageMode", Object::Name(b"UseOutlines".to_vec()));
        catalog.set("Lang", text_string(&meta.language));
        catalog.remove(b"Metadata");
        catalog.remove(b"OutputIntents");
        let mut prefs = Dictionary::new();
        prefs.set("DisplayDocTitle", Object::Boolean(true));
        catalog.set("ViewerPreferences", Object::Dictionary(prefs));
    }

    // 7. Info.
    let date = pdf_date(input.ctx.build_time);
    let mut info = Dictionary::new();
    info.set("Title", text_string(&meta.title));
    if let Some(author) = meta.author.as_deref().or(meta.publisher.as_deref()) {
        info.set("Author", text_string(author));
    }
    if let Some(summary) = &meta.summary {
        info.set("Subject", text_string(summary));
    }
    info.set(
        "Creator",
        text_string(&format!("livret {}", input.ctx.version)),
    );
    info.set(
        "Producer",
        text_string(&format!(
            "livret {} (genpdf 0.2, lopdf 0.47)",
            input.ctx.version
        )),
    );
    info.set(
        "CreationDate",
        Object::String(date.clone().into_bytes(), StringFormat::Literal),
    );
    info.set(
        "ModDate",
        Object::String(date.into_bytes(), StringFormat::Literal),
    );
    let info_id = pdf.add_object(info);
    pdf.trailer.set("Info", Object::Reference(info_id));

    // 8. Fonts: text extraction maps for the glyphs used, real names instead of F0…F7.
    if let Some(&first_page) = pages.first() {
        drop_unused_fonts(&mut pdf, first_page, &used_glyphs);
        let subsets = write_to_unicode(&mut pdf, first_page, &used_glyphs, input.fonts);
        name_fonts(&mut pdf, &subsets, input.fonts);
    }

    pdf.prune_objects();
    pdf.renumber_objects();
    pdf.compress();
    pdf.trailer.remove(b"ID");

    // 10. Deterministic ID: a digest of the document without it.
    let mut first = Vec::new();
    pdf.save_to(&mut first).map_err(|e| err(e.to_string()))?;
    let digest = Sha256::digest(&first);
    let id = Object::String(digest[..16].to_vec(), StringFormat::Hexadecimal);
    pdf.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    let mut out = Vec::new();
    pdf.save_to(&mut out).map_err(|e| err(e.to_string()))?;
    Ok(out)
}

fn add_outline_level(
    pdf: &mut lopdf::Document,
    items: &mut Vec<(ObjectId, Dictionary)>,
    entries: &[OutlineEntry],
    parent: ObjectId,
    pages: &[ObjectId],
    anchors: &HashMap<&str, (usize, f64)>,
) -> Vec<ObjectId> {
    let placed: Vec<(&OutlineEntry, (usize, f64))> = entries
        .iter()
        .filter_map(|e| anchors.get(e.anchor.as_str()).map(|&p| (e, p)))
        .collect();
    let ids: Vec<ObjectId> = placed.iter().map(|_| pdf.new_object_id()).collect();
    for (k, ((entry, (page, y)), id)) in placed.iter().zip(&ids).enumerate() {
        let mut dict = Dictionary::new();
        dict.set("Title", text_string(&entry.title));
        dict.set("Parent", Object::Reference(parent));
        if k > 0 {
            dict.set("Prev", Object::Reference(ids[k - 1]));
        }
        if let Some(next) = ids.get(k + 1) {
            dict.set("Next", Object::Reference(*next));
        }
        if let Some(&pid) = pages.get(*page) {
            dict.set(
                "Dest",
                Object::Array(vec![
                    Object::Reference(pid),
                    Object::Name(b"XYZ".to_vec()),
                    Object::Null,
                    real(y + 6.0),
                    Object::Null,
                ]),
            );
        }
        let children = add_outline_level(pdf, items, &entry.children, *id, pages, anchors);
        if let (Some(first), Some(last)) = (children.first(), children.last()) {
            dict.set("First", Object::Reference(*first));
            dict.set("Last", Object::Reference(*last));
            // Negative: sections start closed.
            dict.set("Count", Object::Integer(-(children.len() as i64)));
        }
        items.push((*id, dict));
    }
    ids
}

/// Gives each font its real name, with a subset tag (PDF 32000 §9.6.4).
fn name_fonts(
    pdf: &mut lopdf::Document,
    subsets: &BTreeMap<usize, BTreeSet<u16>>,
    fonts: &FontSet,
) {
    let ids: Vec<ObjectId> = pdf.objects.keys().copied().collect();
    for id in ids {
        let Ok(Object::Dictionary(dict)) = pdf.get_object_mut(id) else {
            continue;
        };
        let key: &[u8] = if dict.has(b"FontName") {
            b"FontName"
        } else {
            b"BaseFont"
        };
        let Ok(Object::Name(name)) = dict.get(key) else {
            continue;
        };
        let Some(index) = name
            .strip_prefix(b"F")
            .and_then(|n| std::str::from_utf8(n).ok())
            .and_then(|n| n.parse::<usize>().ok())
        else {
            continue;
        };
        let Some(face) = fonts.face(index) else {
            continue;
        };
        let tagged = subset_name(&face.name, subsets.get(&index));
        dict.set(key, Object::Name(tagged.clone()));
        if let Ok(Object::Array(descendants)) = dict.get_mut(b"DescendantFonts") {
            for d in descendants.iter_mut() {
                if let Object::Dictionary(d) = d {
                    d.set("BaseFont", Object::Name(tagged.clone()));
                }
            }
        }
    }
}

/// The `/Font` entry of a page's resources (a reference or a dictionary).
fn font_resources(pdf: &lopdf::Document, page: ObjectId) -> Option<Object> {
    let (direct, indirect) = pdf.get_page_resources(page).ok()?;
    let resources = match direct {
        Some(resources) => resources,
        None => pdf.get_dictionary(*indirect.first()?).ok()?,
    };
    resources.get(b"Font").ok().cloned()
}

/// Removes from the shared font resources every font no page selects: the stand-ins genpdf must
/// register for the mono face's unused styles, the mono face itself in a book without code.
fn drop_unused_fonts(
    pdf: &mut lopdf::Document,
    page: ObjectId,
    used: &BTreeMap<Vec<u8>, BTreeSet<u16>>,
) {
    // printpdf shares one font dictionary between all pages, by reference.
    let Some(Object::Reference(fonts_id)) = font_resources(pdf, page) else {
        return;
    };
    if let Ok(fonts) = pdf.get_dictionary_mut(fonts_id) {
        let unused: Vec<Vec<u8>> = fonts
            .iter()
            .map(|(name, _)| name.clone())
            .filter(|name| !used.contains_key(name))
            .collect();
        for name in unused {
            fonts.remove(&name);
        }
    }
}

/// Glyph ids shown per font resource name (genpdf writes two-byte Identity-H codes with `TJ`).
fn collect_glyphs(ops: &[Operation], used: &mut BTreeMap<Vec<u8>, BTreeSet<u16>>) {
    let mut font: Vec<u8> = Vec::new();
    let mut add = |font: &[u8], bytes: &[u8]| {
        let set = used.entry(font.to_vec()).or_default();
        for pair in bytes.chunks_exact(2) {
            set.insert(u16::from_be_bytes([pair[0], pair[1]]));
        }
    };
    for op in ops {
        match op.operator.as_str() {
            "Tf" => {
                if let Some(Object::Name(name)) = op.operands.first() {
                    font = name.clone();
                    // A font selected, even for no glyph, must stay in the resources.
                    add(&font, &[]);
                }
            }
            "Tj" | "'" | "\"" => {
                if let Some(Object::String(bytes, _)) = op.operands.last() {
                    add(&font, bytes);
                }
            }
            "TJ" => {
                if let Some(Object::Array(items)) = op.operands.first() {
                    for item in items {
                        if let Object::String(bytes, _) = item {
                            add(&font, bytes);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn hex_utf16(c: char) -> String {
    let mut buf = [0u16; 2];
    c.encode_utf16(&mut buf)
        .iter()
        .map(|u| format!("{u:04X}"))
        .collect()
}

/// Replaces printpdf's ToUnicode maps (every glyph, last code point wins: spaces came out as
/// no-break spaces) with maps of the glyphs used, each to its lowest code point, and each embedded
/// face with the subset of those glyphs. Returns the glyphs kept per face.
fn write_to_unicode(
    pdf: &mut lopdf::Document,
    page: ObjectId,
    used: &BTreeMap<Vec<u8>, BTreeSet<u16>>,
    faces: &FontSet,
) -> BTreeMap<usize, BTreeSet<u16>> {
    // Glyphs per face index (genpdf's registration order; one font resource per face).
    let mut per_face: BTreeMap<usize, BTreeSet<u16>> = BTreeMap::new();
    let fonts_obj = match font_resources(pdf, page) {
        Some(Object::Reference(id)) => pdf.get_dictionary(id).ok().cloned(),
        Some(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    let Some(fonts) = fonts_obj else {
        return per_face;
    };
    for (name, font_ref) in fonts.iter() {
        let Ok(font_id) = font_ref.as_reference() else {
            continue;
        };
        let Ok(font) = pdf.get_dictionary(font_id) else {
            continue;
        };
        let index = font_index(font).filter(|&i| faces.face(i).is_some());
        let glyphs = used.get(name).cloned().unwrap_or_default();
        if let Some(index) = index {
            per_face.insert(index, glyphs.clone());
        }
        let file_id = font_file(pdf, font);
        let (Some(face), Ok(Object::Reference(map_id))) = (
            index.and_then(|i| faces.face(i)).map(|f| &*f.bytes),
            font.get(b"ToUnicode"),
        ) else {
            continue;
        };
        let map_id = *map_id;
        let chars = glyph_chars(face, &glyphs);
        let mut cmap = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let entries: Vec<(u16, char)> = chars.into_iter().collect();
        for block in entries.chunks(100) {
            cmap.push_str(&format!("{} beginbfchar\n", block.len()));
            for (g, c) in block {
                cmap.push_str(&format!("<{g:04X}> <{}>\n", hex_utf16(*c)));
            }
            cmap.push_str("endbfchar\n");
        }
        cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        pdf.objects.insert(
            map_id,
            Object::Stream(Stream::new(Dictionary::new(), cmap.into_bytes())),
        );
        // Subset: outlines of unused glyphs dropped, glyph ids unchanged (genpdf's codes stay valid).
        trim_widths(pdf, font_id, &glyphs);
        let mut keep: Vec<u16> = glyphs.into_iter().collect();
        keep.insert(0, 0);
        if let Some(file_id) = file_id
            && let Ok(small) = subsetter::subset(face, 0, subsetter::Profile::pdf(&keep))
        {
            let mut dict = Dictionary::new();
            dict.set("Length1", Object::Integer(small.len() as i64));
            pdf.objects
                .insert(file_id, Object::Stream(Stream::new(dict, small)));
        }
    }
    per_face
}

/// Keeps in a Type0 font's `/W` array only the widths of the glyphs used. printpdf lists every
/// glyph of the face (≈ 48 KB of uncompressed text per face, most of a small PDF's size).
fn trim_widths(pdf: &mut lopdf::Document, font_id: ObjectId, keep: &BTreeSet<u16>) {
    let Ok(font) = pdf.get_dictionary_mut(font_id) else {
        return;
    };
    let Ok(Object::Array(descendants)) = font.get_mut(b"DescendantFonts") else {
        return;
    };
    let Some(Object::Dictionary(cid_font)) = descendants.first_mut() else {
        return;
    };
    let Ok(Object::Array(w)) = cid_font.get(b"W") else {
        return;
    };
    // `/W` holds `first [w1 w2 …]` and `first last w` entries (PDF 32000 §9.7.4.3).
    let mut widths: BTreeMap<u16, Object> = BTreeMap::new();
    let mut i = 0;
    while let Some(first) = w.get(i).and_then(|o| o.as_i64().ok()) {
        match (w.get(i + 1), w.get(i + 2)) {
            (Some(Object::Array(list)), _) => {
                for (k, width) in list.iter().enumerate() {
                    if let Ok(gid) = u16::try_from(first + k as i64) {
                        widths.insert(gid, width.clone());
                    }
                }
                i += 2;
            }
            (Some(last), Some(width)) => {
                let last = last.as_i64().unwrap_or(first);
                for gid in first..=last.min(first + 0xffff) {
                    if let Ok(gid) = u16::try_from(gid) {
                        widths.insert(gid, width.clone());
                    }
                }
                i += 3;
            }
            _ => return,
        }
    }
    let mut trimmed: Vec<Object> = Vec::new();
    let mut run: Vec<Object> = Vec::new();
    let mut run_start: Option<u16> = None;
    let mut previous: Option<u16> = None;
    for &gid in keep {
        let Some(width) = widths.get(&gid) else {
            continue;
        };
        if previous.is_some_and(|p| p + 1 != gid)
            && let Some(start) = run_start.take()
        {
            trimmed.push(Object::Integer(i64::from(start)));
            trimmed.push(Object::Array(std::mem::take(&mut run)));
        }
        run_start.get_or_insert(gid);
        run.push(width.clone());
        previous = Some(gid);
    }
    if let Some(start) = run_start {
        trimmed.push(Object::Integer(i64::from(start)));
        trimmed.push(Object::Array(run));
    }
    cid_font.set("W", Object::Array(trimmed));
}

/// The face index of a genpdf font (its BaseFont is `F<index>` before `name_fonts`).
fn font_index(font: &Dictionary) -> Option<usize> {
    match font.get(b"BaseFont") {
        Ok(Object::Name(n)) => n
            .strip_prefix(b"F")
            .and_then(|n| std::str::from_utf8(n).ok())
            .and_then(|n| n.parse::<usize>().ok()),
        _ => None,
    }
}

/// The FontFile2 stream of a Type0 font.
fn font_file(pdf: &lopdf::Document, font: &Dictionary) -> Option<ObjectId> {
    let descendants = font.get(b"DescendantFonts").ok()?;
    let first = match descendants {
        Object::Array(a) => a.first()?.clone(),
        Object::Reference(r) => pdf.get_object(*r).ok()?.as_array().ok()?.first()?.clone(),
        _ => return None,
    };
    let cid = match first {
        Object::Dictionary(d) => d,
        Object::Reference(r) => pdf.get_dictionary(r).ok()?.clone(),
        _ => return None,
    };
    let descriptor = pdf
        .get_dictionary(cid.get(b"FontDescriptor").ok()?.as_reference().ok()?)
        .ok()?;
    descriptor.get(b"FontFile2").ok()?.as_reference().ok()
}

/// A subset font's name: a six-letter tag, `+`, the face name. The tag is a digest of the face and
/// its glyphs: stable across builds, different for different subsets (readers that cache fonts by
/// name must not mix up two handouts' subsets).
fn subset_name(face: &str, glyphs: Option<&BTreeSet<u16>>) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(face.as_bytes());
    for glyph in glyphs.into_iter().flatten() {
        hasher.update(glyph.to_be_bytes());
    }
    let digest = hasher.finalize();
    let mut name: Vec<u8> = digest.iter().take(6).map(|b| b'A' + b % 26).collect();
    name.push(b'+');
    name.extend_from_slice(face.as_bytes());
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsetting_keeps_glyph_ids_and_shrinks_the_face() {
        let fonts = FontSet::default();
        let face = &*fonts.face(0).expect("serif").bytes;
        let parsed = ttf_parser::Face::parse(face, 0).expect("parse");
        let a = parsed.glyph_index('a').expect("a").0;
        let small = subsetter::subset(face, 0, subsetter::Profile::pdf(&[0, a]));
        let small = small.expect("subset");
        assert!(
            small.len() < face.len() / 4,
            "{} of {}",
            small.len(),
            face.len()
        );
        let reparsed = ttf_parser::Face::parse(&small, 0).expect("subset parses");
        assert!(
            reparsed
                .outline_glyph(ttf_parser::GlyphId(a), &mut NoOutline)
                .is_some()
        );
    }

    struct NoOutline;
    impl ttf_parser::OutlineBuilder for NoOutline {
        fn move_to(&mut self, _: f32, _: f32) {}
        fn line_to(&mut self, _: f32, _: f32) {}
        fn quad_to(&mut self, _: f32, _: f32, _: f32, _: f32) {}
        fn curve_to(&mut self, _: f32, _: f32, _: f32, _: f32, _: f32, _: f32) {}
        fn close(&mut self) {}
    }

    #[test]
    fn text_strings_and_dates() {
        assert_eq!(
            text_string("abc"),
            Object::String(b"abc".to_vec(), StringFormat::Literal)
        );
        let Object::String(bytes, _) = text_string("é") else {
            panic!("string")
        };
        assert_eq!(bytes, vec![0xFE, 0xFF, 0x00, 0xE9]);
        assert_eq!(pdf_date(1_714_521_600), "D:20240501000000Z");
        assert_eq!(pdf_date(0), "D:19700101000000Z");
    }
}
