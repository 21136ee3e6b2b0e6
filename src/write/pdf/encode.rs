//! Content-stream encoding: one page's paint (as the surface logged it) becomes its content
//! stream, each run of paint for one structure element one marked-content sequence with its
//! MCID, artifacts marked as such, text in one `BT` per run of text; then compressed. One
//! encoder serves every page of a book: its buffers and its deflate state are reused (a fresh
//! compressor per page left the allocator a hole it could not reuse: 0.3 MB a page).

use super::structure::{StructId, StructTree};
use super::surface::{Draw, Paint, Tag};
use std::fmt::Write as _;

/// A finished page.
#[derive(Debug, Default)]
pub struct PageContent {
    /// The content stream, zlib-compressed.
    pub stream: Vec<u8>,
    /// Structure element of each marked-content id on the page (its parent tree entry).
    pub mcids: Vec<StructId>,
    pub images: std::collections::BTreeSet<usize>,
}

/// Encodes and compresses pages, reusing its buffers from one page to the next.
pub struct Encoder {
    text: String,
    deflate: flate2::Compress,
}

impl Default for Encoder {
    fn default() -> Self {
        Encoder {
            text: String::new(),
            deflate: flate2::Compress::new(flate2::Compression::new(6), true),
        }
    }
}

impl Encoder {
    /// One page's paint as a compressed content stream.
    pub fn page(&mut self, draws: &[(Tag, Draw)], tree: &StructTree) -> PageContent {
        let mut content = PageContent::default();
        self.text.clear();
        encode(&mut self.text, draws, tree, &mut content);
        self.deflate.reset();
        let input = self.text.as_bytes();
        let mut out = Vec::with_capacity(input.len() / 3 + 64);
        loop {
            let before = self.deflate.total_in() as usize;
            let status = self.deflate.compress_vec(
                &input[before.min(input.len())..],
                &mut out,
                flate2::FlushCompress::Finish,
            );
            match status {
                Ok(flate2::Status::StreamEnd) => break,
                Ok(_) => out.reserve(out.capacity().max(64)),
                // Deflate into a growing Vec has no failure of its own; an empty stream is
                // still a valid page.
                Err(_) => {
                    out.clear();
                    break;
                }
            }
        }
        out.shrink_to_fit();
        content.stream = out;
        content
    }
}

/// Numbers as short as PDF allows (two decimals are 1/7200 in: finer than any printer).
fn num(out: &mut String, v: f64) {
    let r = (v * 100.0).round() / 100.0;
    if r == r.trunc() && r.abs() < 1e15 {
        let _ = write!(out, "{}", r as i64);
    } else {
        let s = format!("{r:.2}");
        out.push_str(s.trim_end_matches('0'));
    }
}

fn paint_op(out: &mut String, paint: Paint, stroke: bool) {
    match paint {
        Paint::Gray(g) => {
            num(out, f64::from(g) / 255.0);
            out.push_str(if stroke { " G\n" } else { " g\n" });
        }
        Paint::Rgb(r, g, b) => {
            for c in [r, g, b] {
                num(out, f64::from(c) / 255.0);
                out.push(' ');
            }
            out.push_str(if stroke { "RG\n" } else { "rg\n" });
        }
    }
}

/// Every run of paint for one structure element is one marked-content sequence with its MCID;
/// artifacts are marked as such.
fn encode(out: &mut String, draws: &[(Tag, Draw)], tree: &StructTree, content: &mut PageContent) {
    let mut i = 0;
    while i < draws.len() {
        let tag = draws[i].0;
        let mut end = i + 1;
        while end < draws.len() && draws[end].0 == tag {
            end += 1;
        }
        match tag {
            Tag::Struct(id) => {
                let mcid = content.mcids.len();
                content.mcids.push(id);
                let _ = writeln!(out, "/{} <</MCID {mcid}>> BDC", tree.role(id));
            }
            Tag::Pagination => out.push_str("/Artifact <</Type /Pagination>> BDC\n"),
            Tag::Layout => out.push_str("/Artifact <</Type /Layout>> BDC\n"),
        }
        let mut in_text = false;
        let mut font: Option<(u8, f64)> = None;
        let mut fill: Option<Paint> = None;
        for (_, draw) in &draws[i..end] {
            match draw {
                Draw::Text {
                    style,
                    x,
                    y,
                    glyphs,
                } => {
                    if !in_text {
                        out.push_str("BT\n");
                        in_text = true;
                        font = None;
                    }
                    if font != Some((style.face, style.size)) {
                        let _ = write!(out, "/F{} ", style.face);
                        num(out, style.size);
                        out.push_str(" Tf\n");
                        font = Some((style.face, style.size));
                    }
                    if fill != Some(style.paint) {
                        paint_op(out, style.paint, false);
                        fill = Some(style.paint);
                    }
                    out.push_str("1 0 0 1 ");
                    num(out, *x);
                    out.push(' ');
                    num(out, *y);
                    out.push_str(" Tm\n[<");
                    const HEX: &[u8; 16] = b"0123456789ABCDEF";
                    for (gid, kern) in glyphs {
                        if *kern != 0 {
                            let _ = write!(out, "> {kern} <");
                        }
                        // Four hex digits by hand: `write!` is most of a long line's cost.
                        for shift in [12, 8, 4, 0] {
                            out.push(char::from(HEX[usize::from((gid >> shift) & 0xF)]));
                        }
                    }
                    out.push_str(">] TJ\n");
                }
                other => {
                    if in_text {
                        out.push_str("ET\n");
                        in_text = false;
                    }
                    match other {
                        Draw::Line {
                            points,
                            gray,
                            width,
                        } => {
                            out.push_str("q\n");
                            paint_op(out, Paint::Gray(*gray), true);
                            num(out, *width);
                            out.push_str(" w\n");
                            for (k, (x, y)) in points.iter().enumerate() {
                                num(out, *x);
                                out.push(' ');
                                num(out, *y);
                                out.push_str(if k == 0 { " m\n" } else { " l\n" });
                            }
                            out.push_str("S\nQ\n");
                        }
                        Draw::Fill { rect, gray } => {
                            out.push_str("q\n");
                            paint_op(out, Paint::Gray(*gray), false);
                            for v in rect {
                                num(out, *v);
                                out.push(' ');
                            }
                            out.push_str("re\nf\nQ\n");
                        }
                        Draw::Image { asset, rect } => {
                            content.images.insert(*asset);
                            out.push_str("q\n");
                            let [x, y, w, h] = *rect;
                            for v in [w, 0.0, 0.0, h, x, y] {
                                num(out, v);
                                out.push(' ');
                            }
                            let _ = writeln!(out, "cm\n/Im{asset} Do\nQ");
                        }
                        Draw::Text { .. } => {}
                    }
                    fill = None;
                }
            }
        }
        if in_text {
            out.push_str("ET\n");
        }
        out.push_str("EMC\n");
        i = end;
    }
}
