//! The serialiser: the page log (encoded pages, places, links), the structure tree and the
//! metadata → one PDF; it knows nothing of the layout (with lopdf's
//! object model): fonts subset and embedded with their widths and text maps, images (SVG
//! rasterised, large images downsampled), link annotations tagged in the structure tree,
//! outline, metadata (Info and XMP, the same values), the sRGB output intent, a deterministic
//! `/ID`. The result is tagged PDF/UA-1 and PDF/A-2 at once.

use super::encode::PageContent;
use super::icc;
use super::outline::OutlineEntry;
use super::structure::{Kid, Role, StructTree};
use super::surface::{Dest, LinkPiece, PT, PageLog};
use crate::diag::{Diagnostics, Error, Result};
use crate::ir::{Asset, Document, ImageFormat, Meta};
use crate::write::WriteContext;
use crate::write::fonts::FontSet;
use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};

fn err(message: impl Into<String>) -> Error {
    Error::Write {
        format: "pdf",
        message: message.into(),
    }
}

pub(super) fn name(n: &str) -> Object {
    Object::Name(n.as_bytes().to_vec())
}

fn real(v: f64) -> Object {
    Object::Real(v as f32)
}

fn dict(entries: Vec<(&str, Object)>) -> Dictionary {
    let mut d = Dictionary::new();
    for (k, v) in entries {
        d.set(k, v);
    }
    d
}

/// The date as PDF writes it (`D:YYYYMMDDHHmmSS+00'00'`) and as XMP does (ISO 8601): the same
/// instant in both, as PDF/A requires.
fn dates(unix: i64) -> (String, String) {
    let (y, m, d, hh, mm, ss) = crate::clock::civil(unix);
    (
        format!("D:{y:04}{m:02}{d:02}{hh:02}{mm:02}{ss:02}+00'00'"),
        format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}+00:00"),
    )
}

pub struct SerializeInput<'a> {
    pub doc: &'a Document,
    pub ctx: &'a WriteContext,
    pub fonts: &'a FontSet,
    pub log: PageLog,
    pub tree: StructTree,
    /// Each link's text, for its annotation's `/Contents`.
    pub link_texts: HashMap<usize, String>,
    pub outline: &'a [OutlineEntry],
    /// Width and height in mm.
    pub page_size: (f64, f64),
}

/// Files of up to this many objects (a handout, a book of some tens of pages: the default
/// corpus has about 1,200) are grouped into object streams (see `serialize`).
const MAX_OBJECTS_GROUPED: usize = 5_000;

/// Images are embedded at no more than this resolution at their printed size.
const IMAGE_PPI: f64 = 300.0;

pub fn serialize(input: SerializeInput<'_>, diags: &mut Diagnostics) -> Result<Vec<u8>> {
    let SerializeInput {
        doc,
        ctx,
        fonts,
        log,
        mut tree,
        link_texts,
        outline,
        page_size,
    } = input;
    let PageLog {
        mut pages,
        anchors,
        links,
        glyphs,
        image_sizes,
    } = log;
    tree.place_content(&pages);
    // A big book (more objects than grouping suits: lopdf copies every object to group them,
    // and with hundreds of groups one nearly always ends in a carriage return) is written as
    // it is made. Counted: the objects a book has per page, element, link and outline entry
    // (each at most once); the others are a few dozen.
    let most_objects = 2 * pages.len() + tree.elems.len() + links.len() + outline_size(outline);
    let mut pdf = Objects::new(most_objects > MAX_OBJECTS_GROUPED);
    let mut digest = Sha256::new();
    let pages_id = pdf.new_object_id();
    let page_ids: Vec<ObjectId> = pages.iter().map(|_| pdf.new_object_id()).collect();

    // Fonts: one shared resource dictionary.
    let mut font_dict = Dictionary::new();
    for (index, used) in glyphs.iter().enumerate() {
        let used = used.list();
        if used.is_empty() {
            continue;
        }
        let Some(face) = fonts.face(index) else {
            continue;
        };
        let id = embed_font(&mut pdf, &face.bytes, &face.name, &used, index == 4)
            .map_err(|e| err(format!("embedding {}: {e}", face.path)))?;
        font_dict.set(format!("F{index}"), Object::Reference(id));
        for gid in used.keys() {
            digest.update(gid.to_be_bytes());
        }
    }
    let font_dict_id = pdf.add_object(font_dict);

    // Images, each at most 300 ppi at the largest size it is printed.
    let mut image_ids: BTreeMap<usize, ObjectId> = BTreeMap::new();
    for (&asset_idx, &(w_pt, h_pt)) in &image_sizes {
        let Some(asset) = doc.assets.get(asset_idx) else {
            continue;
        };
        let (key, made) = image_xobject_once(asset, w_pt, h_pt, fonts);
        digest.update(key);
        let stream = match made {
            Ok(stream) => stream,
            Err(message) => {
                diags
                    .warning(
                        asset.path.clone(),
                        0,
                        0,
                        format!("PDF: image left blank: {message}"),
                    )
                    .with_hint("re-save the image as PNG or baseline JPEG");
                blank_image()
            }
        };
        image_ids.insert(asset_idx, pdf.add_object(stream));
    }

    // Link annotations: one per link and page, its line pieces as QuadPoints; tagged.
    let first_annot_key = pages.len();
    let (annots, annot_ids) = link_annotations(
        &mut pdf,
        &mut tree,
        &links,
        &link_texts,
        &anchors,
        &page_ids,
        first_annot_key,
    );

    // Pages.
    let (w, h) = page_size;
    let media_box = vec![0.into(), 0.into(), real(w / PT), real(h / PT)];
    for (idx, (page, &page_id)) in pages.iter_mut().zip(&page_ids).enumerate() {
        digest.update(&page.stream);
        let content = Stream::new(
            dict(vec![("Filter", name("FlateDecode"))]),
            std::mem::take(&mut page.stream),
        )
        .with_compression(false);
        let content_id = pdf.add_object(content);
        let mut resources = dict(vec![("Font", Object::Reference(font_dict_id))]);
        if !page.images.is_empty() {
            let mut xobjects = Dictionary::new();
            for asset in &page.images {
                if let Some(id) = image_ids.get(asset) {
                    xobjects.set(format!("Im{asset}"), Object::Reference(*id));
                }
            }
            resources.set("XObject", Object::Dictionary(xobjects));
        }
        let mut page_dict = dict(vec![
            ("Type", name("Page")),
            ("Parent", Object::Reference(pages_id)),
            ("MediaBox", Object::Array(media_box.clone())),
            ("Contents", Object::Reference(content_id)),
            ("Resources", Object::Dictionary(resources)),
            ("StructParents", Object::Integer(idx as i64)),
            ("Tabs", name("S")),
        ]);
        if let Some(list) = annots.get(&idx) {
            page_dict.set(
                "Annots",
                Object::Array(list.iter().map(|&id| Object::Reference(id)).collect()),
            );
        }
        pdf.insert(page_id, Object::Dictionary(page_dict));
    }
    pdf.insert(
        pages_id,
        Object::Dictionary(dict(vec![
            ("Type", name("Pages")),
            (
                "Kids",
                Object::Array(page_ids.iter().map(|&id| Object::Reference(id)).collect()),
            ),
            ("Count", Object::Integer(page_ids.len() as i64)),
        ])),
    );

    // Structure tree.
    let struct_root = write_structure(&mut pdf, &tree, &pages, &page_ids, &annot_ids);

    // Outline.
    let places: HashMap<&str, (usize, f64)> =
        anchors.iter().map(|(k, &v)| (k.as_str(), v)).collect();
    let outlines_id = pdf.new_object_id();
    let mut items: Vec<(ObjectId, Dictionary)> = Vec::new();
    let top = add_outline_level(
        &mut pdf,
        &mut items,
        outline,
        outlines_id,
        &page_ids,
        &places,
    );
    for (id, d) in items {
        pdf.insert(id, Object::Dictionary(d));
    }
    let mut outlines = dict(vec![("Type", name("Outlines"))]);
    if let (Some(first), Some(last)) = (top.first(), top.last()) {
        outlines.set("First", Object::Reference(*first));
        outlines.set("Last", Object::Reference(*last));
        outlines.set("Count", Object::Integer(top.len() as i64));
    }
    pdf.insert(outlines_id, Object::Dictionary(outlines));

    // Metadata: Info and XMP say the same.
    let (info, xmp) = metadata(&doc.meta, ctx, Claims::TaggedArchival);
    let info_id = pdf.add_object(info);
    digest.update(xmp.as_bytes());
    let metadata_id = pdf.add_object(
        Stream::new(
            dict(vec![("Type", name("Metadata")), ("Subtype", name("XML"))]),
            xmp.into_bytes(),
        )
        .with_compression(false),
    );
    let icc_id = pdf.add_object(Stream::new(
        dict(vec![("N", Object::Integer(3))]),
        icc::srgb_profile(),
    ));
    let output_intent = dict(vec![
        ("Type", name("OutputIntent")),
        ("S", name("GTS_PDFA1")),
        (
            "OutputConditionIdentifier",
            text_string("sRGB IEC61966-2.1"),
        ),
        ("RegistryName", text_string("http://www.color.org")),
        ("Info", text_string("sRGB IEC61966-2.1")),
        ("DestOutputProfile", Object::Reference(icc_id)),
    ]);
    let catalog = dict(vec![
        ("Type", name("Catalog")),
        ("Pages", Object::Reference(pages_id)),
        ("Outlines", Object::Reference(outlines_id)),
        ("PageMode", name("UseOutlines")),
        ("Lang", text_string(&doc.meta.language)),
        (
            "MarkInfo",
            Object::Dictionary(dict(vec![("Marked", Object::Boolean(true))])),
        ),
        ("StructTreeRoot", Object::Reference(struct_root)),
        (
            "ViewerPreferences",
            Object::Dictionary(dict(vec![("DisplayDocTitle", Object::Boolean(true))])),
        ),
        ("Metadata", Object::Reference(metadata_id)),
        (
            "OutputIntents",
            Object::Array(vec![Object::Dictionary(output_intent)]),
        ),
    ]);
    let catalog_id = pdf.add_object(catalog);
    // Deterministic ID: a digest of what the pages show and say.
    let id = Object::String(digest.finalize()[..16].to_vec(), StringFormat::Hexadecimal);
    pdf.save(vec![
        ("Root", Object::Reference(catalog_id)),
        ("Info", Object::Reference(info_id)),
        ("ID", Object::Array(vec![id.clone(), id])),
    ])
}

/// A small file, kept whole: saved with object streams when that can be done, else classic.
pub(super) fn save_document(mut pdf: lopdf::Document) -> Result<Vec<u8>> {
    for object in pdf.objects.values_mut() {
        if let Object::Stream(stream) = object {
            deflate(stream);
        }
    }
    no_stream_ends_in_cr(&mut pdf);
    let mut out = Vec::new();
    // Object streams: the structure tree is thousands of small dictionaries, a third of a
    // handout's file uncompressed. lopdf compresses those streams (and the cross-reference
    // stream) itself, so their last byte is not ours to check (see `no_stream_ends_in_cr`): a
    // file where one ends in a carriage return is made again with other groupings, else written
    // classic.
    for per_stream in [100, 97, 89] {
        out.clear();
        let options = lopdf::SaveOptions::builder()
            .use_object_streams(true)
            .use_xref_streams(true)
            .max_objects_per_stream(per_stream)
            .compression_level(6)
            .build();
        pdf.save_with_options(&mut out, options)
            .map_err(|e| err(e.to_string()))?;
        if !out.windows(11).any(|w| w == b"\r\nendstream") {
            return Ok(out);
        }
    }
    out.clear();
    pdf.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
    pdf.save_to(&mut out).map_err(|e| err(e.to_string()))?;
    Ok(out)
}

/// A stream's length counts the bytes between the end of line after `stream` and the one
/// before `endstream` (ISO 19005-2 §6.1.7.1). lopdf ends data with a line feed: data whose last
/// byte is a carriage return (1 compressed stream in 256) would read as shorter by one. Such a
/// stream is written in hexadecimal instead (`/ASCIIHexDecode` in front of its filters).
fn no_stream_ends_in_cr(pdf: &mut lopdf::Document) {
    for object in pdf.objects.values_mut() {
        if let Object::Stream(stream) = object {
            no_carriage_return_at_end(stream);
        }
    }
}

/// Where the objects go. A small file is kept as lopdf's document and saved at the end with
/// object streams (see `serialize`). A big one is written as each object is made, classic
/// (the way lopdf would save it then): what stays in memory is the file's bytes so far and the
/// place of each object, not one dictionary per page and per structure element.
struct Objects {
    pdf: lopdf::Document,
    written: Option<Written>,
}

struct Written {
    out: Vec<u8>,
    /// Byte offset of each object written, by object number.
    offsets: BTreeMap<u32, usize>,
}

impl Objects {
    fn new(streaming: bool) -> Self {
        let pdf = lopdf::Document::with_version("1.7");
        let written = streaming.then(|| {
            let mut out = Vec::new();
            // The header lopdf writes: version, then a comment of four bytes over 127 (the mark
            // of a binary file, ISO 32000 §7.5.2, required by PDF/A).
            out.extend_from_slice(b"%PDF-1.7\n");
            out.push(b'%');
            out.extend_from_slice(&pdf.binary_mark);
            out.push(b'\n');
            Written {
                out,
                offsets: BTreeMap::new(),
            }
        });
        Objects { pdf, written }
    }

    fn new_object_id(&mut self) -> ObjectId {
        self.pdf.new_object_id()
    }

    fn add_object(&mut self, object: impl Into<Object>) -> ObjectId {
        let id = self.new_object_id();
        self.insert(id, object.into());
        id
    }

    fn insert(&mut self, id: ObjectId, mut object: Object) {
        let Some(w) = &mut self.written else {
            self.pdf.objects.insert(id, object);
            return;
        };
        if let Object::Stream(stream) = &mut object {
            finish_stream(stream);
        }
        w.offsets.insert(id.0, w.out.len());
        w.out
            .extend_from_slice(format!("{} {} obj\n", id.0, id.1).as_bytes());
        // Writing into a Vec cannot fail.
        let _ = lopdf::Writer::write_object(&mut w.out, &object);
        w.out.extend_from_slice(b"\nendobj\n");
    }

    /// The finished file.
    fn save(mut self, trailer: Vec<(&str, Object)>) -> Result<Vec<u8>> {
        for (key, value) in trailer {
            self.pdf.trailer.set(key, value);
        }
        let Some(mut w) = self.written else {
            return save_document(self.pdf);
        };
        // The cross-reference table: one subsection per run of consecutive objects.
        let xref_at = w.out.len();
        let mut table = String::from("xref\n");
        let mut runs: Vec<(u32, Vec<usize>)> = vec![(0, vec![usize::MAX])];
        for (&number, &offset) in &w.offsets {
            match runs.last_mut() {
                Some((start, entries)) if *start + entries.len() as u32 == number => {
                    entries.push(offset)
                }
                _ => runs.push((number, vec![offset])),
            }
        }
        for (start, entries) in runs {
            table.push_str(&format!("{start} {}\n", entries.len()));
            for offset in entries {
                if offset == usize::MAX {
                    table.push_str("0000000000 65535 f \n");
                } else {
                    table.push_str(&format!("{offset:010} 00000 n \n"));
                }
            }
        }
        w.out.extend_from_slice(table.as_bytes());
        self.pdf.trailer.set("Size", i64::from(self.pdf.max_id) + 1);
        w.out.extend_from_slice(b"trailer\n");
        let _ = lopdf::Writer::write_object(&mut w.out, &Object::Dictionary(self.pdf.trailer));
        w.out
            .extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF").as_bytes());
        Ok(w.out)
    }
}

/// A stream as the file holds it: compressed (when that makes it smaller and it is not
/// compressed already), and never ending in a carriage return (see `no_stream_ends_in_cr`).
fn finish_stream(stream: &mut Stream) {
    deflate(stream);
    no_carriage_return_at_end(stream);
}

/// Deflates a stream not compressed yet, at level 6, keeping the result only when it saves
/// bytes (a stream that does not compress is kept as it is). lopdf's own `compress` works at
/// level 9: on a handout a quarter of the CPU time, for a file 2 % smaller.
fn deflate(stream: &mut Stream) {
    if !stream.allows_compression || stream.dict.get(b"Filter").is_ok() {
        return;
    }
    let mut encoder = flate2::write::ZlibEncoder::new(
        Vec::with_capacity(stream.content.len() / 2),
        flate2::Compression::new(6),
    );
    if std::io::Write::write_all(&mut encoder, &stream.content).is_err() {
        return;
    }
    let Ok(compressed) = encoder.finish() else {
        return;
    };
    if compressed.len() + 19 < stream.content.len() {
        stream.dict.set("Filter", "FlateDecode");
        stream.set_content(compressed);
    }
}

fn no_carriage_return_at_end(stream: &mut Stream) {
    if stream.content.last() != Some(&b'\r') {
        return;
    }
    let mut hex = String::with_capacity(stream.content.len() * 2 + 1);
    for b in &stream.content {
        hex.push_str(&format!("{b:02X}"));
    }
    hex.push('>');
    let filters = match stream.dict.get(b"Filter") {
        Ok(Object::Name(n)) => vec![name("ASCIIHexDecode"), Object::Name(n.clone())],
        Ok(Object::Array(list)) => std::iter::once(name("ASCIIHexDecode"))
            .chain(list.iter().cloned())
            .collect(),
        _ => vec![name("ASCIIHexDecode")],
    };
    stream.dict.set("Filter", Object::Array(filters));
    stream.set_content(hex.into_bytes());
    stream.allows_compression = false;
}

/// Annotations per page, and the object of each annotation by its index.
/// (annotation, its page) by index.
type Annotations = (BTreeMap<usize, Vec<ObjectId>>, Vec<(ObjectId, ObjectId)>);

/// One link on one page: where it goes, its `Link` element, its rectangles.
type LinkOnPage = (Dest, Option<usize>, Vec<[f64; 4]>);

fn link_annotations(
    pdf: &mut Objects,
    tree: &mut StructTree,
    links: &[LinkPiece],
    texts: &HashMap<usize, String>,
    anchors: &HashMap<String, (usize, f64)>,
    page_ids: &[ObjectId],
    first_key: usize,
) -> Annotations {
    let mut grouped: BTreeMap<(usize, usize), LinkOnPage> = BTreeMap::new();
    for piece in links {
        grouped
            .entry((piece.page, piece.id))
            .or_insert_with(|| (piece.dest.clone(), piece.tag, Vec::new()))
            .2
            .push(piece.rect);
    }
    let goto = |anchor: &str| anchors.get(anchor).copied();
    let mut per_page: BTreeMap<usize, Vec<ObjectId>> = BTreeMap::new();
    let mut ids = Vec::new();
    for ((page, link), (dest, tag, rects)) in grouped {
        let action = match &dest {
            Dest::Uri(uri) => Some((
                "A",
                Object::Dictionary(dict(vec![
                    ("S", name("URI")),
                    (
                        "URI",
                        Object::String(uri.as_bytes().to_vec(), StringFormat::Literal),
                    ),
                ])),
            )),
            Dest::GoTo { anchor, chapter } => {
                let target = anchor.as_deref().and_then(goto).or_else(|| goto(chapter));
                target.and_then(|(tp, y)| {
                    page_ids.get(tp).map(|&pid| {
                        let dest = vec![
                            Object::Reference(pid),
                            name("XYZ"),
                            Object::Null,
                            real(y + 6.0),
                            Object::Null,
                        ];
                        ("Dest", Object::Array(dest))
                    })
                })
            }
        };
        let (Some((key, value)), Some(&pid)) = (action, page_ids.get(page)) else {
            continue;
        };
        let x0 = rects.iter().map(|r| r[0]).fold(f64::MAX, f64::min);
        let y0 = rects.iter().map(|r| r[1]).fold(f64::MAX, f64::min);
        let x1 = rects.iter().map(|r| r[2]).fold(f64::MIN, f64::max);
        let y1 = rects.iter().map(|r| r[3]).fold(f64::MIN, f64::max);
        let index = ids.len();
        let contents = texts
            .get(&link)
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| match &dest {
                Dest::Uri(uri) => uri.clone(),
                Dest::GoTo { chapter, .. } => chapter.clone(),
            });
        let mut annot = dict(vec![
            ("Type", name("Annot")),
            ("Subtype", name("Link")),
            (
                "Rect",
                Object::Array(vec![real(x0), real(y0), real(x1), real(y1)]),
            ),
            ("Border", Object::Array(vec![0.into(), 0.into(), 0.into()])),
            ("F", Object::Integer(4)),
            ("Contents", text_string(&contents)),
            ("P", Object::Reference(pid)),
            ("StructParent", Object::Integer((first_key + index) as i64)),
        ]);
        if rects.len() > 1 {
            let quads = rects
                .iter()
                .flat_map(|r| [r[0], r[3], r[2], r[3], r[0], r[1], r[2], r[1]])
                .map(real)
                .collect();
            annot.set("QuadPoints", Object::Array(quads));
        }
        annot.set(key, value);
        let id = pdf.add_object(annot);
        if let Some(tag) = tag {
            tree.add_annot(tag, index);
        }
        ids.push((id, pid));
        per_page.entry(page).or_default().push(id);
    }
    (per_page, ids)
}

/// Writes the structure tree; returns the `StructTreeRoot`.
fn write_structure(
    pdf: &mut Objects,
    tree: &StructTree,
    pages: &[PageContent],
    page_ids: &[ObjectId],
    annot_ids: &[(ObjectId, ObjectId)],
) -> ObjectId {
    let root_id = pdf.new_object_id();
    let mut keep = tree.non_empty();
    // Every cell of a row that is read stays, empty or not: tables keep their shape.
    for (id, e) in tree.elems.iter().enumerate() {
        if matches!(e.role, Role::TD | Role::TH) && e.parent.is_some_and(|p| keep[p]) {
            keep[id] = true;
        }
    }
    let ids: Vec<Option<ObjectId>> = keep
        .iter()
        .map(|&k| k.then(|| pdf.new_object_id()))
        .collect();
    let mut annot_owner: BTreeMap<usize, ObjectId> = BTreeMap::new();
    let mut note_ids: BTreeMap<String, ObjectId> = BTreeMap::new();
    for (index, e) in tree.elems.iter().enumerate() {
        let Some(id) = ids[index] else { continue };
        let parent = e
            .parent
            .and_then(|p| ids.get(p).copied().flatten())
            .unwrap_or(root_id);
        let mut kids = Vec::new();
        // Content on the element's own page (`/Pg`, its first) is an MCID alone; elsewhere
        // a marked-content reference names its page (PDF 32000 §14.7.4.2).
        let first_page = e.kids.iter().find_map(|k| match k {
            Kid::Content { page, .. } => page_ids.get(*page).copied(),
            _ => None,
        });
        for kid in &e.kids {
            match kid {
                Kid::Elem(c) => {
                    if let Some(Some(cid)) = ids.get(*c) {
                        kids.push(Object::Reference(*cid));
                    }
                }
                Kid::Content { page, mcid } => {
                    let Some(&pid) = page_ids.get(*page) else {
                        continue;
                    };
                    if Some(pid) == first_page {
                        kids.push(Object::Integer(*mcid as i64));
                        continue;
                    }
                    kids.push(Object::Dictionary(dict(vec![
                        ("Type", name("MCR")),
                        ("Pg", Object::Reference(pid)),
                        ("MCID", Object::Integer(*mcid as i64)),
                    ])));
                }
                Kid::Annot(a) => {
                    let Some(&(aid, pid)) = annot_ids.get(*a) else {
                        continue;
                    };
                    annot_owner.insert(*a, id);
                    let mut objr = dict(vec![
                        ("Type", name("OBJR")),
                        ("Obj", Object::Reference(aid)),
                    ]);
                    objr.set("Pg", Object::Reference(pid));
                    kids.push(Object::Dictionary(objr));
                }
            }
        }
        // `/Type /StructElem` is optional (PDF 32000 Table 323): thousands of bytes saved.
        let mut d = dict(vec![
            ("S", name(e.role.name())),
            ("P", Object::Reference(parent)),
            ("K", Object::Array(kids)),
        ]);
        if let Some(pid) = first_page {
            d.set("Pg", Object::Reference(pid));
        }
        if let Some(alt) = &e.alt {
            d.set("Alt", text_string(alt));
        }
        if let Some(lang) = &e.lang {
            d.set("Lang", text_string(lang));
        }
        if let Some(note) = &e.id {
            d.set(
                "ID",
                Object::String(note.as_bytes().to_vec(), StringFormat::Literal),
            );
            note_ids.insert(note.clone(), id);
        }
        if let Some(scope) = e.scope {
            d.set(
                "A",
                Object::Dictionary(dict(vec![("O", name("Table")), ("Scope", name(scope))])),
            );
        }
        pdf.insert(id, Object::Dictionary(d));
    }
    // The parent tree: each page's MCIDs, then each annotation.
    let mut nums = Vec::new();
    for (k, page) in pages.iter().enumerate() {
        let owners = page
            .mcids
            .iter()
            .map(|&s| {
                ids.get(s)
                    .copied()
                    .flatten()
                    .map(Object::Reference)
                    .unwrap_or(Object::Null)
            })
            .collect();
        nums.push(Object::Integer(k as i64));
        nums.push(Object::Array(owners));
    }
    for (a, _) in annot_ids.iter().enumerate() {
        if let Some(owner) = annot_owner.get(&a) {
            nums.push(Object::Integer((pages.len() + a) as i64));
            nums.push(Object::Reference(*owner));
        }
    }
    let parent_tree = pdf.add_object(dict(vec![("Nums", Object::Array(nums))]));
    let mut root = dict(vec![
        ("Type", name("StructTreeRoot")),
        ("ParentTree", Object::Reference(parent_tree)),
        (
            "ParentTreeNextKey",
            Object::Integer((pages.len() + annot_ids.len()) as i64),
        ),
    ]);
    if let Some(Some(document)) = ids.first() {
        root.set("K", Object::Array(vec![Object::Reference(*document)]));
    }
    if !note_ids.is_empty() {
        let names = note_ids
            .into_iter()
            .flat_map(|(k, v)| {
                [
                    Object::String(k.into_bytes(), StringFormat::Literal),
                    Object::Reference(v),
                ]
            })
            .collect();
        root.set(
            "IDTree",
            Object::Dictionary(dict(vec![("Names", Object::Array(names))])),
        );
    }
    pdf.insert(root_id, Object::Dictionary(root));
    root_id
}

/// A Type0 font with one CIDFontType2 descendant (Identity-H codes are glyph ids), the face
/// subset to the glyphs used (ids kept), widths of those glyphs, a text map for each.
fn embed_font(
    pdf: &mut Objects,
    bytes: &[u8],
    face_name: &str,
    used: &BTreeMap<u16, char>,
    mono: bool,
) -> std::result::Result<ObjectId, String> {
    let face = ttf_parser::Face::parse(bytes, 0).map_err(|e| e.to_string())?;
    let scale = 1000.0 / f64::from(face.units_per_em().max(1));
    let glyph_set: BTreeSet<u16> = used.keys().copied().collect();
    let base = subset_name(face_name, Some(&glyph_set));
    let mut keep: Vec<u16> = glyph_set.iter().copied().collect();
    keep.insert(0, 0);
    // Glyphs past `hhea.numberOfHMetrics` take the advance of the last glyph listed there
    // (monospaced faces list a handful): keep that glyph, or the subset gives them width 0.
    let metrics = face.tables().hhea.number_of_metrics;
    if metrics > 0 && glyph_set.iter().any(|&g| g >= metrics) {
        keep.push(metrics - 1);
        keep.sort_unstable();
        keep.dedup();
    }
    let program = subsetter::subset(bytes, 0, subsetter::Profile::pdf(&keep))
        .map_err(|e| format!("subsetting failed ({e:?})"))?;
    let file_id = pdf.add_object(Stream::new(
        dict(vec![("Length1", Object::Integer(program.len() as i64))]),
        program,
    ));
    let bbox = face.global_bounding_box();
    let units = |v: i16| Object::Integer((f64::from(v) * scale).round() as i64);
    let italic = face.italic_angle();
    let mut flags = 32;
    if mono {
        flags |= 1;
    }
    if italic != 0.0 {
        flags |= 64;
    }
    let descriptor = dict(vec![
        ("Type", name("FontDescriptor")),
        ("FontName", Object::Name(base.clone())),
        ("Flags", Object::Integer(flags)),
        (
            "FontBBox",
            Object::Array(vec![
                units(bbox.x_min),
                units(bbox.y_min),
                units(bbox.x_max),
                units(bbox.y_max),
            ]),
        ),
        ("ItalicAngle", real(f64::from(italic))),
        ("Ascent", units(face.ascender())),
        ("Descent", units(face.descender())),
        (
            "CapHeight",
            units(face.capital_height().unwrap_or(face.ascender())),
        ),
        ("StemV", Object::Integer(80)),
        ("FontFile2", Object::Reference(file_id)),
    ]);
    let descriptor_id = pdf.add_object(descriptor);
    // `/W`: runs of consecutive glyph ids (PDF 32000 §9.7.4.3).
    let mut widths: Vec<Object> = Vec::new();
    let mut run: Vec<Object> = Vec::new();
    let mut run_start: Option<u16> = None;
    let mut previous: Option<u16> = None;
    for &gid in &glyph_set {
        let advance = face
            .glyph_hor_advance(ttf_parser::GlyphId(gid))
            .map(|a| (f64::from(a) * scale).round() as i64)
            .unwrap_or(0);
        if previous.is_some_and(|p| p + 1 != gid)
            && let Some(start) = run_start.take()
        {
            widths.push(Object::Integer(i64::from(start)));
            widths.push(Object::Array(std::mem::take(&mut run)));
        }
        run_start.get_or_insert(gid);
        run.push(Object::Integer(advance));
        previous = Some(gid);
    }
    if let Some(start) = run_start {
        widths.push(Object::Integer(i64::from(start)));
        widths.push(Object::Array(run));
    }
    let cid_font = dict(vec![
        ("Type", name("Font")),
        ("Subtype", name("CIDFontType2")),
        ("BaseFont", Object::Name(base.clone())),
        (
            "CIDSystemInfo",
            Object::Dictionary(dict(vec![
                ("Registry", Object::string_literal("Adobe")),
                ("Ordering", Object::string_literal("Identity")),
                ("Supplement", Object::Integer(0)),
            ])),
        ),
        ("FontDescriptor", Object::Reference(descriptor_id)),
        ("W", Object::Array(widths)),
        ("CIDToGIDMap", name("Identity")),
    ]);
    let cid_id = pdf.add_object(cid_font);
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(&u16, &char)> = used.iter().collect();
    for block in entries.chunks(100) {
        cmap.push_str(&format!("{} beginbfchar\n", block.len()));
        for (g, c) in block {
            cmap.push_str(&format!("<{g:04X}> <{}>\n", hex_utf16(**c)));
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    let to_unicode = pdf.add_object(Stream::new(Dictionary::new(), cmap.into_bytes()));
    Ok(pdf.add_object(dict(vec![
        ("Type", name("Font")),
        ("Subtype", name("Type0")),
        ("BaseFont", Object::Name(base)),
        ("Encoding", name("Identity-H")),
        (
            "DescendantFonts",
            Object::Array(vec![Object::Reference(cid_id)]),
        ),
        ("ToUnicode", Object::Reference(to_unicode)),
    ])))
}

/// What a file claims: the screen and print PDFs are tagged PDF/UA-1 and PDF/A-2a; an imposed
/// booklet, whose sheets mix pages, is PDF/A-2b only.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Claims {
    TaggedArchival,
    Archival,
}

/// The Info dictionary and the XMP packet of a file, saying the same (PDF/A requires it).
pub(super) fn metadata(meta: &Meta, ctx: &WriteContext, claims: Claims) -> (Dictionary, String) {
    let (pdf_date, xmp_date) = dates(ctx.build_time);
    let creator = format!("livret {}", ctx.version);
    let producer = format!("livret {} (genpdf layout, lopdf)", ctx.version);
    let author = meta.author.as_deref().or(meta.publisher.as_deref());
    let mut info = dict(vec![
        ("Title", text_string(&meta.title)),
        ("Creator", text_string(&creator)),
        ("Producer", text_string(&producer)),
        (
            "CreationDate",
            Object::String(pdf_date.clone().into_bytes(), StringFormat::Literal),
        ),
        (
            "ModDate",
            Object::String(pdf_date.into_bytes(), StringFormat::Literal),
        ),
    ]);
    if let Some(author) = author {
        info.set("Author", text_string(author));
    }
    if let Some(summary) = &meta.summary {
        info.set("Subject", text_string(summary));
    }
    let xmp = xmp_packet(&XmpFields {
        title: &meta.title,
        author,
        subject: meta.summary.as_deref(),
        language: &meta.language,
        date: &xmp_date,
        creator: &creator,
        producer: &producer,
        claims,
    });
    (info, xmp)
}

struct XmpFields<'a> {
    title: &'a str,
    author: Option<&'a str>,
    subject: Option<&'a str>,
    language: &'a str,
    date: &'a str,
    creator: &'a str,
    producer: &'a str,
    claims: Claims,
}

/// XMP metadata: Dublin Core, dates, producer, and the PDF/A-2 and PDF/UA-1 identifications
/// (PDF/UA's schema declared as a PDF/A extension schema, so both standards hold at once), or
/// PDF/A-2b's alone.
fn xmp_packet(f: &XmpFields<'_>) -> String {
    let mut x = String::from(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n\
         <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n\
         <rdf:Description rdf:about=\"\" \
         xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
         xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\" \
         xmlns:pdf=\"http://ns.adobe.com/pdf/1.3/\" \
         xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\" \
         xmlns:pdfuaid=\"http://www.aiim.org/pdfua/ns/id/\" \
         xmlns:pdfaExtension=\"http://www.aiim.org/pdfa/ns/extension/\" \
         xmlns:pdfaSchema=\"http://www.aiim.org/pdfa/ns/schema#\" \
         xmlns:pdfaProperty=\"http://www.aiim.org/pdfa/ns/property#\">\n",
    );
    x.push_str("<dc:format>application/pdf</dc:format>\n");
    x.push_str(&format!(
        "<dc:title><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:title>\n",
        crate::markup::escape(f.title)
    ));
    if let Some(author) = f.author {
        x.push_str(&format!(
            "<dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>\n",
            crate::markup::escape(author)
        ));
    }
    if let Some(subject) = f.subject {
        x.push_str(&format!(
            "<dc:description><rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt></dc:description>\n",
            crate::markup::escape(subject)
        ));
    }
    x.push_str(&format!(
        "<dc:language><rdf:Bag><rdf:li>{}</rdf:li></rdf:Bag></dc:language>\n",
        crate::markup::escape(f.language)
    ));
    for key in ["CreateDate", "ModifyDate", "MetadataDate"] {
        x.push_str(&format!("<xmp:{key}>{}</xmp:{key}>\n", f.date));
    }
    x.push_str(&format!(
        "<xmp:CreatorTool>{}</xmp:CreatorTool>\n<pdf:Producer>{}</pdf:Producer>\n",
        crate::markup::escape(f.creator),
        crate::markup::escape(f.producer)
    ));
    if f.claims == Claims::Archival {
        x.push_str(
            "<pdfaid:part>2</pdfaid:part>\n<pdfaid:conformance>B</pdfaid:conformance>\n\
             </rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>",
        );
        return x;
    }
    x.push_str(
        "<pdfaid:part>2</pdfaid:part>\n<pdfaid:conformance>A</pdfaid:conformance>\n\
         <pdfuaid:part>1</pdfuaid:part>\n\
         <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType=\"Resource\">\n\
         <pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>\n\
         <pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>\n\
         <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>\n\
         <pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType=\"Resource\">\n\
         <pdfaProperty:name>part</pdfaProperty:name>\n\
         <pdfaProperty:valueType>Integer</pdfaProperty:valueType>\n\
         <pdfaProperty:category>internal</pdfaProperty:category>\n\
         <pdfaProperty:description>Indicates which part of ISO 14289 the file conforms to</pdfaProperty:description>\n\
         </rdf:li></rdf:Seq></pdfaSchema:property>\n\
         </rdf:li></rdf:Bag></pdfaExtension:schemas>\n\
         </rdf:Description>\n</rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>",
    );
    x
}

/// A white pixel: the stand-in for an image that cannot be decoded (warned).
fn blank_image() -> Stream {
    Stream::new(
        dict(vec![
            ("Type", name("XObject")),
            ("Subtype", name("Image")),
            ("Width", Object::Integer(1)),
            ("Height", Object::Integer(1)),
            ("ColorSpace", name("DeviceGray")),
            ("BitsPerComponent", Object::Integer(8)),
        ]),
        vec![255],
    )
}

fn raw_image(width: u32, height: u32, grey: bool, pixels: Vec<u8>) -> Stream {
    Stream::new(
        dict(vec![
            ("Type", name("XObject")),
            ("Subtype", name("Image")),
            ("Width", Object::Integer(i64::from(width))),
            ("Height", Object::Integer(i64::from(height))),
            (
                "ColorSpace",
                name(if grey { "DeviceGray" } else { "DeviceRGB" }),
            ),
            ("BitsPerComponent", Object::Integer(8)),
        ]),
        pixels,
    )
}

/// An RGBA image flattened on white, as grey or RGB samples.
fn flatten(rgba: &image::RgbaImage, grey: bool) -> Vec<u8> {
    let channels = if grey { 1 } else { 3 };
    let mut raw = Vec::with_capacity(rgba.len() / 4 * channels);
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
    raw
}

/// The pixel size an image needs at `IMAGE_PPI` when printed `w_pt` × `h_pt`.
fn needed_pixels(w_pt: f64, h_pt: f64) -> (u32, u32) {
    let px = |pt: f64| ((pt / 72.0 * IMAGE_PPI).ceil() as u32).max(1);
    (px(w_pt), px(h_pt))
}

/// Image XObjects made so far in this process, finished (deflated), by `image_key`: the
/// handouts of a `--split` build print the book's images at the book's sizes, and decoding,
/// downsampling and deflating each again was most of a handout's image work.
static IMAGE_XOBJECTS: std::sync::Mutex<ImageXObjects> = std::sync::Mutex::new(ImageXObjects {
    made: BTreeMap::new(),
    bytes: 0,
});
/// Past this, new images are made each time (a long `serve` session editing its images).
const IMAGE_XOBJECTS_MAX_BYTES: usize = 256 << 20;

struct ImageXObjects {
    made: BTreeMap<[u8; 32], std::result::Result<Stream, String>>,
    bytes: usize,
}

/// What an image XObject is made from: the image's bytes, the pixels it is printed at, and for
/// an SVG the faces its text is drawn in.
fn image_key(asset: &Asset, w_pt: f64, h_pt: f64, fonts: &FontSet) -> [u8; 32] {
    let (need_w, need_h) = needed_pixels(w_pt, h_pt);
    let mut key = Sha256::new();
    key.update(asset.sha256.as_bytes());
    key.update(need_w.to_be_bytes());
    key.update(need_h.to_be_bytes());
    if asset.format == ImageFormat::Svg {
        key.update(fonts.text_faces_digest());
    }
    key.finalize().into()
}

/// `image_xobject`, finished, made once per process for each `image_key` (which is returned:
/// the file's ID digests it).
fn image_xobject_once(
    asset: &Asset,
    w_pt: f64,
    h_pt: f64,
    fonts: &FontSet,
) -> ([u8; 32], std::result::Result<Stream, String>) {
    let key = image_key(asset, w_pt, h_pt, fonts);
    let lock = || IMAGE_XOBJECTS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(made) = lock().made.get(&key) {
        return (key, made.clone());
    }
    let made = image_xobject(asset, w_pt, h_pt, fonts).map(|mut stream| {
        finish_stream(&mut stream);
        stream
    });
    let size = made.as_ref().map_or(0, |stream| stream.content.len());
    let mut memo = lock();
    if memo.bytes + size <= IMAGE_XOBJECTS_MAX_BYTES {
        memo.bytes += size;
        memo.made.insert(key, made.clone());
    }
    (key, made)
}

/// An image as a PDF image XObject: JPEG kept as DCT unless it has far more pixels than its
/// printed size needs; others decoded, flattened on white, downsampled likewise; SVG drawn.
fn image_xobject(
    asset: &Asset,
    w_pt: f64,
    h_pt: f64,
    fonts: &FontSet,
) -> std::result::Result<Stream, String> {
    let (need_w, need_h) = needed_pixels(w_pt, h_pt);
    // Downsample only what is over half as large again as needed.
    let too_large = |w: u32, h: u32| {
        f64::from(w) > 1.5 * f64::from(need_w) && f64::from(h) > 1.5 * f64::from(need_h)
    };
    let shrink = |img: image::DynamicImage| -> image::DynamicImage {
        if too_large(img.width(), img.height()) {
            img.resize(need_w, need_h, image::imageops::FilterType::Triangle)
        } else {
            img
        }
    };
    let decode = |format: image::ImageFormat| -> std::result::Result<image::DynamicImage, String> {
        let mut reader =
            image::ImageReader::with_format(std::io::Cursor::new(asset.bytes.as_slice()), format);
        let mut limits = image::Limits::default();
        limits.max_alloc = Some(512 * 1024 * 1024);
        reader.limits(limits);
        reader.decode().map_err(|e| e.to_string())
    };
    match asset.format {
        ImageFormat::Jpeg => {
            let components =
                jpeg_components(&asset.bytes).ok_or("not a baseline/progressive JPEG")?;
            if matches!(components, 1 | 3) && !too_large(asset.width, asset.height) {
                let space = if components == 1 {
                    "DeviceGray"
                } else {
                    "DeviceRGB"
                };
                let d = dict(vec![
                    ("Type", name("XObject")),
                    ("Subtype", name("Image")),
                    ("Width", Object::Integer(i64::from(asset.width))),
                    ("Height", Object::Integer(i64::from(asset.height))),
                    ("ColorSpace", name(space)),
                    ("BitsPerComponent", Object::Integer(8)),
                    ("Filter", name("DCTDecode")),
                ]);
                return Ok(Stream::new(d, asset.bytes.to_vec()).with_compression(false));
            }
            // CMYK has no place beside an sRGB output intent; large photos are re-encoded.
            let img = shrink(decode(image::ImageFormat::Jpeg)?);
            let rgb = img.to_rgb8();
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 88)
                .encode_image(&rgb)
                .map_err(|e| e.to_string())?;
            let d = dict(vec![
                ("Type", name("XObject")),
                ("Subtype", name("Image")),
                ("Width", Object::Integer(i64::from(rgb.width()))),
                ("Height", Object::Integer(i64::from(rgb.height()))),
                ("ColorSpace", name("DeviceRGB")),
                ("BitsPerComponent", Object::Integer(8)),
                ("Filter", name("DCTDecode")),
            ]);
            Ok(Stream::new(d, jpeg).with_compression(false))
        }
        ImageFormat::Png | ImageFormat::Gif => {
            let format = if asset.format == ImageFormat::Png {
                image::ImageFormat::Png
            } else {
                image::ImageFormat::Gif
            };
            let img = shrink(decode(format)?);
            let grey = !img.color().has_color();
            let rgba = img.to_rgba8();
            let (w, h) = rgba.dimensions();
            Ok(raw_image(w, h, grey, flatten(&rgba, grey)))
        }
        ImageFormat::Svg => {
            let faces = fonts.text_faces();
            let rgba = crate::write::svg::rasterize_svg_with_fonts(&asset.bytes, need_w, &faces)?;
            let (w, h) = rgba.dimensions();
            Ok(raw_image(w, h, false, flatten(&rgba, false)))
        }
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

/// Entries of an outline, at every level.
fn outline_size(entries: &[OutlineEntry]) -> usize {
    entries.len()
        + entries
            .iter()
            .map(|e| outline_size(&e.children))
            .sum::<usize>()
}

fn add_outline_level(
    pdf: &mut Objects,
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

fn hex_utf16(c: char) -> String {
    let mut buf = [0u16; 2];
    c.encode_utf16(&mut buf)
        .iter()
        .map(|u| format!("{u:04X}"))
        .collect()
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
    fn a_stream_ending_in_a_carriage_return_is_written_in_hex() {
        let mut pdf = lopdf::Document::with_version("1.7");
        let ends_cr = pdf.add_object(
            Stream::new(
                dict(vec![("Filter", name("FlateDecode"))]),
                vec![1, 2, b'\r'],
            )
            .with_compression(false),
        );
        let plain = pdf.add_object(Stream::new(Dictionary::new(), vec![1, 2, 3]));
        no_stream_ends_in_cr(&mut pdf);
        let Ok(Object::Stream(s)) = pdf.get_object(ends_cr) else {
            panic!("stream")
        };
        assert_eq!(s.content, b"01020D>".to_vec());
        assert_eq!(
            s.dict.get(b"Filter").unwrap(),
            &Object::Array(vec![name("ASCIIHexDecode"), name("FlateDecode")])
        );
        let Ok(Object::Stream(p)) = pdf.get_object(plain) else {
            panic!("stream")
        };
        assert_eq!(p.content, vec![1, 2, 3]);
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
        assert_eq!(
            dates(1_714_521_600),
            (
                "D:20240501000000+00'00'".to_string(),
                "2024-05-01T00:00:00+00:00".to_string()
            )
        );
        assert_eq!(dates(0).0, "D:19700101000000+00'00'");
    }
}
