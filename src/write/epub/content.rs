//! The XHTML content documents: the title page and one document per chapter.

use super::{STYLESHEET, book_language, chapter_semantics, persona_title};
use crate::ir::{Chapter, Document};
use crate::labels::Labels;
use crate::markup::escape;
use crate::write::body::{ChapterHeader, RenderedChapter};
use std::fmt::Write;

fn open_document(out: &mut String, language: &str, title: &str, body_type: &str) {
    let lang = escape(language);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE html>\n\
         <html xmlns=\"http://www.w3.org/1999/xhtml\" \
         xmlns:epub=\"http://www.idpf.org/2007/ops\" lang=\"{lang}\" xml:lang=\"{lang}\">\n\
         <head>\n\
         <meta charset=\"utf-8\"/>\n\
         <title>{}</title>\n\
         <link rel=\"stylesheet\" type=\"text/css\" href=\"{STYLESHEET}\"/>\n\
         </head>\n\
         <body epub:type=\"{body_type}\">\n",
        escape(title)
    );
}

const CLOSE_DOCUMENT: &str = "</body>\n</html>\n";

/// Title, subtitle, the persona of a handout, summary, author, publisher, date.
pub(super) fn title_page(doc: &Document, book_title: &str, labels: &Labels) -> String {
    let meta = &doc.meta;
    let mut out = String::new();
    open_document(&mut out, book_language(doc), book_title, "frontmatter");
    out.push_str("<section class=\"titlepage\" epub:type=\"titlepage\">\n");
    let _ = writeln!(out, "<h1 class=\"title\">{}</h1>", escape(&meta.title));
    if let Some(subtitle) = &meta.subtitle {
        let _ = writeln!(out, "<p class=\"subtitle\">{}</p>", escape(subtitle));
    }
    if let Some(persona) = persona_title(doc) {
        let _ = writeln!(
            out,
            "<p class=\"handout\">{}</p>",
            escape(&labels.persona_line(persona))
        );
    }
    if let Some(summary) = &meta.summary {
        let _ = writeln!(out, "<p class=\"summary\">{}</p>", escape(summary));
    }
    if let Some(author) = &meta.author {
        let _ = writeln!(out, "<p class=\"author\">{}</p>", escape(author));
    }
    if let Some(publisher) = &meta.publisher {
        let _ = writeln!(out, "<p class=\"publisher\">{}</p>", escape(publisher));
    }
    if let Some(date) = &meta.date {
        let _ = writeln!(out, "<p class=\"date\">{}</p>", escape(date));
    }
    out.push_str("</section>\n");
    out.push_str(CLOSE_DOCUMENT);
    out
}

/// One chapter: its heading, then the body and its notes from the shared body writer.
pub(super) fn chapter_document(
    doc: &Document,
    chapter: &Chapter,
    rendered: &RenderedChapter,
) -> String {
    let (epub_type, role) = chapter_semantics(chapter);
    let mut out = String::new();
    let language = chapter.lang.as_deref().unwrap_or(book_language(doc));
    open_document(&mut out, language, &chapter.title, "bodymatter");
    // The title page just before already shows the book's subtitle and summary.
    let header = ChapterHeader::of(doc, chapter);
    let _ = writeln!(
        out,
        "<section epub:type=\"{epub_type}\" role=\"{role}\">\n<header>\n<h1>{}</h1>",
        escape(&chapter.title)
    );
    if let Some(subtitle) = header.subtitle {
        let _ = writeln!(
            out,
            "<p class=\"chapter-subtitle\">{}</p>",
            escape(subtitle)
        );
    }
    out.push_str("</header>\n");
    if let Some(summary) = header.summary {
        let _ = writeln!(out, "<p class=\"chapter-summary\">{}</p>", escape(summary));
    }
    out.push_str(&rendered.body);
    if !rendered.body.ends_with('\n') {
        out.push('\n');
    }
    if !rendered.notes.is_empty() {
        out.push_str(&rendered.notes);
        if !rendered.notes.ends_with('\n') {
            out.push('\n');
        }
    }
    out.push_str("</section>\n");
    out.push_str(CLOSE_DOCUMENT);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_keeps_xml_well_formed() {
        assert_eq!(
            escape("a < b & \"c\" > d\u{7}"),
            "a &lt; b &amp; &quot;c&quot; &gt; d"
        );
        assert_eq!(escape("l’été\u{202f};"), "l’été\u{202f};");
    }
}
