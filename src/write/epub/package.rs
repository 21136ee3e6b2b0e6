//! The post-pass over epub-builder's archive: same entries, rewritten so that the bytes depend
//! only on the document and the build time (fixed order, fixed times, `mimetype` first and
//! stored), with the OPF, nav and NCX fixed where epub-builder 0.8.3 gets them wrong.

use crate::diag::{Error, Result};
use crate::markup::escape;
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

const OPF: &str = "OEBPS/content.opf";
const NAV: &str = "OEBPS/nav.xhtml";
const NCX: &str = "OEBPS/toc.ncx";
/// Entries that come first, in this order; content documents and images follow.
const HEAD: [&str; 5] = [
    "META-INF/container.xml",
    OPF,
    NAV,
    NCX,
    "OEBPS/stylesheet.css",
];
/// iBooks' "use the book's fonts" switch: the reader's fonts should win, so it goes.
const DROPPED: [&str; 2] = ["mimetype", "META-INF/com.apple.ibooks.display-options.xml"];

pub(super) struct Fixes<'a> {
    pub identifier: &'a str,
    pub title: &'a str,
    pub language: &'a str,
    /// `dcterms:modified`, `YYYY-MM-DDThh:mm:ssZ`.
    pub modified: &'a str,
    pub contents_label: &'a str,
    /// Landmark names of the title page and of the first chapter.
    pub title_page_label: &'a str,
    pub start_label: &'a str,
    /// `dc:` elements epub-builder cannot write (publisher, date), already escaped.
    pub dublin_core: &'a [String],
    pub toc_depth: u8,
    /// Manifest id epub-builder gave the title page.
    pub title_page_id: &'a str,
    /// Content documents and images, relative to `OEBPS/`, in reading order.
    pub content_order: &'a [String],
}

/// `raw` is epub-builder's archive; `bodies` the content documents and images it was given
/// empty, by their path in `OEBPS/`.
pub(super) fn rewrite(
    raw: &[u8],
    bodies: BTreeMap<String, Vec<u8>>,
    fixes: &Fixes,
    build_time: i64,
    jobs: usize,
) -> Result<Vec<u8>> {
    let mut entries = read_entries(raw)?;
    for (name, bytes) in bodies {
        entries.insert(format!("OEBPS/{name}"), bytes);
    }
    for (name, fix) in [
        (OPF, fix_opf as fn(&str, &Fixes) -> Result<String>),
        (NAV, fix_nav),
        (NCX, fix_ncx),
    ] {
        let text = entries
            .get(name)
            .map(|bytes| String::from_utf8_lossy(bytes).into_owned())
            .ok_or_else(|| write_error(format!("epub-builder wrote no {name}")))?;
        entries.insert(name.to_string(), fix(&text, fixes)?.into_bytes());
    }

    let mut order: Vec<String> = HEAD.iter().map(|s| s.to_string()).collect();
    order.extend(fixes.content_order.iter().map(|f| format!("OEBPS/{f}")));
    // Anything else epub-builder wrote keeps a fixed place too: after, by name.
    let rest: Vec<String> = entries
        .keys()
        .filter(|name| !order.contains(name))
        .cloned()
        .collect();
    order.extend(rest);

    let time = zip_time(build_time);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .last_modified_time(time)
        .unix_permissions(0o644);
    let deflated = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(time)
        .unix_permissions(0o644);
    zip.start_file("mimetype", stored).map_err(zip_error)?;
    zip.write_all(b"application/epub+zip")
        .map_err(|e| write_error(e.to_string()))?;
    // Each entry deflated on its own (on `jobs` threads) as a one-file archive, then copied
    // as it is, in order: the same bytes whatever the number of threads.
    let ordered: Vec<(String, Vec<u8>)> = order
        .into_iter()
        .filter_map(|name| entries.remove(&name).map(|bytes| (name, bytes)))
        .collect();
    let deflate_one = |(name, bytes): &(String, Vec<u8>)| -> Result<Vec<u8>> {
        let mut one = ZipWriter::new(Cursor::new(Vec::new()));
        one.start_file(name.as_str(), deflated).map_err(zip_error)?;
        one.write_all(bytes)
            .map_err(|e| write_error(e.to_string()))?;
        Ok(one.finish().map_err(zip_error)?.into_inner())
    };
    let archives =
        crate::jobs::map_ordered(&ordered, jobs, |(_, bytes)| bytes.len() as u64, deflate_one);
    for archive in archives {
        let archive = ZipArchive::new(Cursor::new(archive?)).map_err(zip_error)?;
        zip.merge_archive(archive).map_err(zip_error)?;
    }
    Ok(zip.finish().map_err(zip_error)?.into_inner())
}

fn read_entries(raw: &[u8]) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut archive = ZipArchive::new(Cursor::new(raw)).map_err(zip_error)?;
    let mut entries = BTreeMap::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).map_err(zip_error)?;
        let name = file.name().map_err(zip_error)?.replace('\\', "/");
        if file.is_dir() || DROPPED.contains(&name.as_str()) {
            continue;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| write_error(e.to_string()))?;
        entries.insert(name, bytes);
    }
    Ok(entries)
}

/// Replaces the text between `start` and the next `end` (both kept); an error when epub-builder's
/// template no longer has them, so a silent drift cannot ship a broken book.
fn replace_between(text: &str, start: &str, end: &str, with: &str) -> Result<String> {
    let from = text
        .find(start)
        .map(|i| i + start.len())
        .ok_or_else(|| drift(start))?;
    let to = text[from..]
        .find(end)
        .map(|i| from + i)
        .ok_or_else(|| drift(end))?;
    Ok(format!("{}{with}{}", &text[..from], &text[to..]))
}

fn replace_once(text: &str, what: &str, with: &str) -> Result<String> {
    if !text.contains(what) {
        return Err(drift(what));
    }
    Ok(text.replacen(what, with, 1))
}

fn drift(pattern: &str) -> Error {
    write_error(format!(
        "epub-builder's output changed, `{pattern}` not found; the post-pass needs updating"
    ))
}

fn fix_opf(opf: &str, fixes: &Fixes) -> Result<String> {
    let lang = escape(fixes.language);
    let opf = replace_once(
        opf,
        "<package version=\"3.0\" ",
        &format!("<package version=\"3.0\" xml:lang=\"{lang}\" "),
    )?;
    let opf = replace_between(
        &opf,
        "<dc:identifier id=\"epub-id-1\">",
        "</dc:identifier>",
        &escape(fixes.identifier),
    )?;
    // 0.8.3 numbers languages and creators from the same `epub-creator-N` ids.
    let opf = replace_once(
        &opf,
        "<dc:language id=\"epub-creator-",
        "<dc:language id=\"epub-language-",
    )?;
    // The table of contents is a page of the book, after the title page: the `toc` landmark
    // must point into the spine.
    let title_page_ref = format!("<itemref idref=\"{}\"/>", fixes.title_page_id);
    let opf = replace_once(
        &opf,
        &title_page_ref,
        &format!("{title_page_ref}\n    <itemref idref=\"nav\"/>"),
    )?;
    let opf = replace_between(
        &opf,
        "<meta property=\"dcterms:modified\">",
        "</meta>",
        fixes.modified,
    )?;
    let mut extras: String = fixes
        .dublin_core
        .iter()
        .map(|element| format!("{element}\n    "))
        .collect();
    extras.push_str("<meta property=\"dcterms:modified\">");
    let opf = replace_once(&opf, "<meta property=\"dcterms:modified\">", &extras)?;
    // The template leaves a blank line for every empty `{% if %}`.
    let mut tidy: String = opf
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    tidy.push('\n');
    Ok(tidy)
}

fn fix_nav(nav: &str, fixes: &Fixes) -> Result<String> {
    let lang = escape(fixes.language);
    let nav = replace_once(
        nav,
        "xmlns:epub=\"http://www.idpf.org/2007/ops\">",
        &format!(
            "xmlns:epub=\"http://www.idpf.org/2007/ops\" lang=\"{lang}\" xml:lang=\"{lang}\">"
        ),
    )?;
    // Ace: an `epub:type` wants its matching ARIA role.
    let nav = replace_once(
        &nav,
        "<nav epub:type = \"toc\" id=\"toc\">",
        "<nav epub:type=\"toc\" role=\"doc-toc\" id=\"toc\">",
    )?;
    // Landmarks are named in the book's words, not by their document's title.
    let nav = replace_between(
        &nav,
        "<a epub:type=\"titlepage\" href=\"titlepage.xhtml\">",
        "</a>",
        &escape(fixes.title_page_label),
    )?;
    let nav = match nav.find("<a epub:type=\"bodymatter\"") {
        Some(at) => {
            let (head, tail) = nav.split_at(at);
            let open = tail.get(..=tail.find('>').unwrap_or(0)).unwrap_or_default();
            format!(
                "{head}{}",
                replace_between(tail, open, "</a>", &escape(fixes.start_label))?
            )
        }
        None => nav,
    };
    // epub-builder only lists landmarks of spine documents; the toc lives in nav.xhtml itself.
    let nav = replace_once(
        &nav,
        "<nav epub:type = \"landmarks\">",
        "<nav epub:type=\"landmarks\" hidden=\"hidden\">",
    )?;
    let toc_landmark = format!(
        "<ol>\n<li><a epub:type=\"toc\" href=\"nav.xhtml#toc\">{}</a></li>",
        escape(fixes.contents_label)
    );
    let landmarks_at = nav
        .find("epub:type=\"landmarks\"")
        .ok_or_else(|| drift("landmarks"))?;
    let (head, tail) = nav.split_at(landmarks_at);
    Ok(format!(
        "{head}{}",
        replace_once(tail, "<ol>", &toc_landmark)?
    ))
}

fn fix_ncx(ncx: &str, fixes: &Fixes) -> Result<String> {
    let lang = escape(fixes.language);
    let ncx = replace_once(
        ncx,
        "<ncx version=\"2005-1\" ",
        &format!("<ncx version=\"2005-1\" xml:lang=\"{lang}\" "),
    )?;
    // The NCX must carry the package's identifier (epubcheck NCX-001).
    let ncx = replace_once(
        &ncx,
        "<meta name=\"dtb:depth\" content=\"1\" />",
        &format!(
            "<meta name=\"dtb:uid\" content=\"{}\" />\n    <meta name=\"dtb:depth\" content=\"{}\" />",
            escape(fixes.identifier),
            fixes.toc_depth
        ),
    )?;
    replace_between(
        &ncx,
        "<docTitle>",
        "</docTitle>",
        &format!("\n    <text>{}</text>\n  ", escape(fixes.title)),
    )
}

fn write_error(message: String) -> Error {
    Error::Write {
        format: "epub",
        message,
    }
}

fn zip_error(e: zip::result::ZipError) -> Error {
    write_error(e.to_string())
}

/// `dcterms:modified` value: `YYYY-MM-DDThh:mm:ssZ`.
pub(super) fn w3c_datetime(unix: i64) -> String {
    let (y, mo, d, h, mi, s) = crate::clock::civil(unix);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// Zip entry time: DOS times only cover 1980–2107, so the build time is clamped into them.
fn zip_time(unix: i64) -> DateTime {
    let (y, mo, d, h, mi, s) = crate::clock::civil(unix);
    let clamped = match y {
        ..1980 => DateTime::from_date_and_time(1980, 1, 1, 0, 0, 0),
        2108.. => DateTime::from_date_and_time(2107, 12, 31, 23, 59, 58),
        _ => DateTime::from_date_and_time(y as u16, mo as u8, d as u8, h as u8, mi as u8, s as u8),
    };
    clamped.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(w3c_datetime(0), "1970-01-01T00:00:00Z");
        assert_eq!(w3c_datetime(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(w3c_datetime(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(w3c_datetime(-1), "1969-12-31T23:59:59Z");
        assert_eq!(w3c_datetime(4_102_444_800), "2100-01-01T00:00:00Z");
    }

    #[test]
    fn zip_times_are_clamped_to_the_dos_range() {
        let t = zip_time(0);
        assert_eq!((t.year(), t.month(), t.day()), (1980, 1, 1));
        let t = zip_time(1_700_000_000);
        assert_eq!(
            (
                t.year(),
                t.month(),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            ),
            (2023, 11, 14, 22, 13, 20)
        );
    }

    #[test]
    fn drift_in_the_template_is_an_error_not_a_silent_pass() {
        assert!(replace_once("<a>", "<b>", "").is_err());
        assert!(replace_between("<a>x", "<a>", "</a>", "y").is_err());
        assert_eq!(
            replace_between("<a>x</a>", "<a>", "</a>", "y")
                .ok()
                .as_deref(),
            Some("<a>y</a>")
        );
    }
}
