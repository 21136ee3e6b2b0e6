//! The booklet: the book laid out at A5 (the print edition, page size forced), then
//! imposed two pages a side on A4 landscape sheets in saddle-stitch order, to print duplex
//! (flipped on the short edge), fold and staple.
//!
//! Imposition works on the finished A5 file: each page becomes a Form XObject (its content
//! stream and resources) drawn on its sheet with a `cm`. The structure tree cannot follow: a
//! sheet holds two pages that are far apart in the book, so the file is PDF/A-2b, untagged;
//! the tagged reading copy is the `pdf`.

use super::serialize::{self, Claims, name};
use super::surface::PT;
use crate::diag::{Error, Result};
use crate::ir::Meta;
use crate::write::WriteContext;
use lopdf::{Dictionary, Object, ObjectId, Stream};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// One side of a sheet: the book page (0-based) on its left and right half; `None` is blank.
pub type Side = [Option<usize>; 2];

/// The sides to print, in order (sheet 1 front, sheet 1 back, sheet 2 front, …), for a book of
/// `pages` pages padded with blanks to a multiple of four: before the last page when it is a
/// back cover, else at the end. Sheet `i` (0-based) of a padded book of `n` pages holds, 1-based,
/// `n − 2i` and `2i + 1` on its front and `2i + 2` and `n − 2i − 1` on its back: the outer sheet
/// carries the covers, and folded the sheets nest in reading order.
pub fn saddle_stitch(pages: usize, back_cover: bool) -> Vec<Side> {
    let n = pages.div_ceil(4) * 4;
    let mut slots: Vec<Option<usize>> = (0..pages).map(Some).collect();
    let at = if back_cover && pages > 1 {
        pages - 1
    } else {
        pages
    };
    slots.splice(at..at, std::iter::repeat_n(None, n - pages));
    (0..n / 4)
        .flat_map(|i| {
            [
                [slots[n - 1 - 2 * i], slots[2 * i]],
                [slots[2 * i + 1], slots[n - 2 - 2 * i]],
            ]
        })
        .collect()
}

/// An A4 sheet, landscape, in mm.
const SHEET_MM: (f64, f64) = (297.0, 210.0);

fn err(message: impl Into<String>) -> Error {
    Error::Write {
        format: "booklet",
        message: message.into(),
    }
}

/// Copies `object` from `from` into `to`, with every object it refers to (once: `copied` maps
/// old ids to new ones).
fn copy(
    object: &Object,
    from: &lopdf::Document,
    to: &mut lopdf::Document,
    copied: &mut HashMap<ObjectId, ObjectId>,
) -> Object {
    match object {
        Object::Reference(id) => {
            if let Some(&new) = copied.get(id) {
                return Object::Reference(new);
            }
            let new = to.new_object_id();
            copied.insert(*id, new);
            let target = from
                .get_object(*id)
                .map(|o| copy(o, from, to, copied))
                .unwrap_or(Object::Null);
            to.objects.insert(new, target);
            Object::Reference(new)
        }
        Object::Array(items) => {
            Object::Array(items.iter().map(|o| copy(o, from, to, copied)).collect())
        }
        Object::Dictionary(d) => Object::Dictionary(copy_dict(d, from, to, copied)),
        Object::Stream(s) => {
            let mut stream = Stream::new(copy_dict(&s.dict, from, to, copied), s.content.clone());
            stream.allows_compression = s.allows_compression;
            Object::Stream(stream)
        }
        other => other.clone(),
    }
}

fn copy_dict(
    d: &Dictionary,
    from: &lopdf::Document,
    to: &mut lopdf::Document,
    copied: &mut HashMap<ObjectId, ObjectId>,
) -> Dictionary {
    let mut out = Dictionary::new();
    for (key, value) in d.iter() {
        out.set(key.clone(), copy(value, from, to, copied));
    }
    out
}

/// A number as a content stream writes it: two decimals, no trailing zeros.
fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The booklet of the A5 file `a5` (written by this crate's PDF writer), with `meta`'s
/// metadata: A4 landscape sheets, PDF/A-2b. The pages are A5 (another size is placed the same
/// way, centred on the sheet's halves' seam).
pub fn impose(a5: &[u8], meta: &Meta, ctx: &WriteContext) -> Result<Vec<u8>> {
    let source = lopdf::Document::load_mem(a5)
        .map_err(|e| err(format!("reading the A5 pages back: {e}")))?;
    let pages: Vec<ObjectId> = source.get_pages().into_values().collect();
    if pages.is_empty() {
        return Err(err("the book has no page"));
    }
    let mut out = lopdf::Document::with_version("1.7");
    let mut copied = HashMap::new();
    let mut forms = Vec::with_capacity(pages.len());
    let mut page_width = 0.0;
    let mut page_height = 0.0;
    for &page_id in &pages {
        let page = source
            .get_dictionary(page_id)
            .map_err(|e| err(format!("page {page_id:?}: {e}")))?;
        let media_box: Vec<f64> = page
            .get(b"MediaBox")
            .and_then(Object::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_float().ok())
                    .map(f64::from)
                    .collect()
            })
            .unwrap_or_default();
        let [_, _, w, h] = media_box[..] else {
            return Err(err(format!("page {page_id:?} has no MediaBox")));
        };
        (page_width, page_height) = (w, h);
        let resources = match page.get(b"Resources") {
            Ok(r) => copy(r, &source, &mut out, &mut copied),
            Err(_) => Object::Dictionary(Dictionary::new()),
        };
        let mut form = Dictionary::new();
        form.set("Type", name("XObject"));
        form.set("Subtype", name("Form"));
        form.set(
            "BBox",
            Object::Array(vec![
                0.into(),
                0.into(),
                Object::Real(w as f32),
                Object::Real(h as f32),
            ]),
        );
        form.set("Resources", resources);
        let content = source.get_page_content(page_id);
        forms.push(out.add_object(Stream::new(form, content)));
    }

    // The sheets: two pages side by side, centred, so that the fold is the sheet's middle
    // (two A5 pages are 296 mm: half a millimetre is left at each short edge).
    let pages_id = out.new_object_id();
    let (sheet_w, sheet_h) = (SHEET_MM.0 / PT, SHEET_MM.1 / PT);
    let (left, bottom) = (
        (sheet_w / 2.0 - page_width).max(0.0),
        ((sheet_h - page_height) / 2.0).max(0.0),
    );
    let sheet_box = vec![
        0.into(),
        0.into(),
        Object::Real(sheet_w as f32),
        Object::Real(sheet_h as f32),
    ];
    let mut sheets = Vec::new();
    // The A5 book has a title page but no back cover: blanks go at the end.
    for side in saddle_stitch(pages.len(), false) {
        let mut content = String::new();
        let mut xobjects = Dictionary::new();
        for (half, page) in side.iter().enumerate() {
            let Some(page) = page else { continue };
            let x = left + half as f64 * page_width;
            content.push_str(&format!(
                "q 1 0 0 1 {} {} cm /P{page} Do Q\n",
                num(x),
                num(bottom)
            ));
            xobjects.set(format!("P{page}"), Object::Reference(forms[*page]));
        }
        let content_id = out.add_object(Stream::new(Dictionary::new(), content.into_bytes()));
        let mut resources = Dictionary::new();
        resources.set("XObject", Object::Dictionary(xobjects));
        let mut sheet = Dictionary::new();
        sheet.set("Type", name("Page"));
        sheet.set("Parent", Object::Reference(pages_id));
        sheet.set("MediaBox", Object::Array(sheet_box.clone()));
        sheet.set("Contents", Object::Reference(content_id));
        sheet.set("Resources", Object::Dictionary(resources));
        sheets.push(out.add_object(sheet));
    }
    let mut pages_dict = Dictionary::new();
    pages_dict.set("Type", name("Pages"));
    pages_dict.set("Count", Object::Integer(sheets.len() as i64));
    pages_dict.set(
        "Kids",
        Object::Array(sheets.iter().map(|&id| Object::Reference(id)).collect()),
    );
    out.objects.insert(pages_id, Object::Dictionary(pages_dict));

    // PDF/A-2b: the same output intent as the A5 file, metadata claiming 2b alone.
    let (info, xmp) = serialize::metadata(meta, ctx, Claims::Archival);
    let info_id = out.add_object(info);
    let mut metadata = Dictionary::new();
    metadata.set("Type", name("Metadata"));
    metadata.set("Subtype", name("XML"));
    let metadata_id =
        out.add_object(Stream::new(metadata, xmp.into_bytes()).with_compression(false));
    let intents = source
        .catalog()
        .and_then(|c| c.get(b"OutputIntents"))
        .map(|o| copy(o, &source, &mut out, &mut copied))
        .map_err(|e| err(format!("the A5 file has no output intent: {e}")))?;
    let mut preferences = Dictionary::new();
    preferences.set("DisplayDocTitle", Object::Boolean(true));
    let mut catalog = Dictionary::new();
    catalog.set("Type", name("Catalog"));
    catalog.set("Pages", Object::Reference(pages_id));
    catalog.set("Lang", serialize::text_string(&meta.language));
    catalog.set("ViewerPreferences", Object::Dictionary(preferences));
    catalog.set("Metadata", Object::Reference(metadata_id));
    catalog.set("OutputIntents", intents);
    let catalog_id = out.add_object(catalog);
    // Deterministic ID: the A5 file's bytes decide everything the sheets show.
    let mut digest = Sha256::new();
    digest.update(b"booklet");
    digest.update(a5);
    let id = Object::String(
        digest.finalize()[..16].to_vec(),
        lopdf::StringFormat::Hexadecimal,
    );
    out.trailer.set("Root", Object::Reference(catalog_id));
    out.trailer.set("Info", Object::Reference(info_id));
    out.trailer.set("ID", Object::Array(vec![id.clone(), id]));
    serialize::save_document(out).map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1-based pages per side, 0 for a blank.
    fn order(pages: usize, back_cover: bool) -> Vec<[usize; 2]> {
        saddle_stitch(pages, back_cover)
            .into_iter()
            .map(|side| side.map(|p| p.map_or(0, |p| p + 1)))
            .collect()
    }

    #[test]
    fn eight_pages_on_two_sheets() {
        assert_eq!(order(8, false), [[8, 1], [2, 7], [6, 3], [4, 5]]);
    }

    #[test]
    fn blanks_go_at_the_end_or_before_the_back_cover() {
        // 6 pages → 8: pages 7 and 8 blank.
        assert_eq!(order(6, false), [[0, 1], [2, 0], [6, 3], [4, 5]]);
        // With a back cover, page 6 stays last: blanks are 6 and 7 of 8.
        assert_eq!(order(6, true), [[6, 1], [2, 0], [0, 3], [4, 5]]);
        assert_eq!(order(1, true), [[0, 1], [0, 0]]);
        assert_eq!(order(4, true), [[4, 1], [2, 3]]);
    }

    #[test]
    fn every_page_once_and_facing_pages_sum_to_n_plus_one() {
        for pages in 1..=41 {
            let sides = order(pages, false);
            let n = sides.len() * 2;
            assert_eq!(n % 4, 0);
            assert!(n >= pages && n < pages + 4, "{pages} → {n}");
            let mut seen: Vec<usize> = sides.iter().flatten().copied().filter(|&p| p > 0).collect();
            seen.sort_unstable();
            assert_eq!(seen, (1..=pages).collect::<Vec<_>>());
            for (k, [left, right]) in sides.iter().enumerate() {
                // With blanks counted as the padded pages they stand for.
                let pad = |p: usize, fallback: usize| if p == 0 { fallback } else { p };
                let (l, r) = if k.is_multiple_of(2) {
                    (pad(*left, n - k), pad(*right, k + 1))
                } else {
                    (pad(*left, k + 1), pad(*right, n - k))
                };
                assert_eq!(l + r, n + 1, "{pages} pages, side {k}: {l} and {r}");
            }
        }
    }

    #[test]
    fn numbers_in_content_streams() {
        assert_eq!(num(0.0), "0");
        assert_eq!(num(419.527_56), "419.53");
        assert_eq!(num(420.0), "420");
    }
}
