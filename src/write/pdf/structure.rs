//! The PDF's logical structure (PDF 32000 §14.7–14.8): what the text means, in reading order.
//! The layout builder makes the tree, one element per block as it builds the block's genpdf
//! element, each attached to its parent when made (the book's order); it does not change while
//! the pages are painted. The serialiser then hangs each page's marked content under its
//! element (`place_content`, from the page log): an inline element (link, code, note
//! reference) takes its place among its paragraph's own text where its first content is, so it
//! sits between the paragraph's runs in reading order.

use super::encode::PageContent;

pub type StructId = usize;

/// Standard structure types (PDF 32000 §14.8.4): no role map needed. Named as the standard
/// spells them.
#[allow(clippy::upper_case_acronyms)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Document,
    Part,
    Sect,
    H(u8),
    P,
    L,
    LI,
    Lbl,
    LBody,
    Table,
    THead,
    TBody,
    TR,
    TH,
    TD,
    Figure,
    Caption,
    BlockQuote,
    Code,
    Span,
    Link,
    Note,
    Reference,
    TOC,
    TOCI,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Document => "Document",
            Role::Part => "Part",
            Role::Sect => "Sect",
            Role::H(1) => "H1",
            Role::H(2) => "H2",
            Role::H(3) => "H3",
            Role::H(4) => "H4",
            Role::H(5) => "H5",
            Role::H(_) => "H6",
            Role::P => "P",
            Role::L => "L",
            Role::LI => "LI",
            Role::Lbl => "Lbl",
            Role::LBody => "LBody",
            Role::Table => "Table",
            Role::THead => "THead",
            Role::TBody => "TBody",
            Role::TR => "TR",
            Role::TH => "TH",
            Role::TD => "TD",
            Role::Figure => "Figure",
            Role::Caption => "Caption",
            Role::BlockQuote => "BlockQuote",
            Role::Code => "Code",
            Role::Span => "Span",
            Role::Link => "Link",
            Role::Note => "Note",
            Role::Reference => "Reference",
            Role::TOC => "TOC",
            Role::TOCI => "TOCI",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kid {
    Elem(StructId),
    /// Marked content `mcid` on page `page`.
    Content {
        page: usize,
        mcid: usize,
    },
    /// The link annotation with this index in the serialiser's list.
    Annot(usize),
}

#[derive(Debug, Clone)]
pub struct StructElem {
    pub role: Role,
    pub parent: Option<StructId>,
    pub kids: Vec<Kid>,
    attached: bool,
    /// Alternative text (figures).
    pub alt: Option<String>,
    /// Natural language when it differs from the document's.
    pub lang: Option<String>,
    /// Element identifier (notes).
    pub id: Option<String>,
    /// `Column` or `Row` for header cells.
    pub scope: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct StructTree {
    pub elems: Vec<StructElem>,
}

pub const ROOT: StructId = 0;

impl Default for StructTree {
    fn default() -> Self {
        StructTree {
            elems: vec![StructElem::new(Role::Document, None, true)],
        }
    }
}

impl StructElem {
    fn new(role: Role, parent: Option<StructId>, attached: bool) -> Self {
        StructElem {
            role,
            parent,
            kids: Vec::new(),
            attached,
            alt: None,
            lang: None,
            id: None,
            scope: None,
        }
    }
}

impl StructTree {
    /// A container, attached to its parent now.
    pub fn add(&mut self, role: Role, parent: StructId) -> StructId {
        let id = self.elems.len();
        self.elems.push(StructElem::new(role, Some(parent), true));
        if let Some(p) = self.elems.get_mut(parent) {
            p.kids.push(Kid::Elem(id));
        }
        id
    }

    /// An inline element, attached to its parent when its first content is painted.
    pub fn add_inline(&mut self, role: Role, parent: StructId) -> StructId {
        let id = self.elems.len();
        self.elems.push(StructElem::new(role, Some(parent), false));
        id
    }

    pub fn role(&self, id: StructId) -> &'static str {
        self.elems.get(id).map(|e| e.role.name()).unwrap_or("Span")
    }

    fn attach(&mut self, id: StructId) {
        let mut id = id;
        // Iterative: inline elements may sit in inline elements.
        while let Some(e) = self.elems.get_mut(id) {
            if e.attached {
                return;
            }
            e.attached = true;
            let Some(parent) = e.parent else { return };
            if let Some(p) = self.elems.get_mut(parent) {
                p.kids.push(Kid::Elem(id));
            }
            id = parent;
        }
    }

    fn add_content(&mut self, id: StructId, page: usize, mcid: usize) {
        self.attach(id);
        if let Some(e) = self.elems.get_mut(id) {
            e.kids.push(Kid::Content { page, mcid });
        }
    }

    /// Each page's marked-content sequences under their elements, in page and paint order.
    pub fn place_content(&mut self, pages: &[PageContent]) {
        for (page, content) in pages.iter().enumerate() {
            for (mcid, &id) in content.mcids.iter().enumerate() {
                self.add_content(id, page, mcid);
            }
        }
    }

    pub fn add_annot(&mut self, id: StructId, annot: usize) {
        self.attach(id);
        if let Some(e) = self.elems.get_mut(id) {
            e.kids.push(Kid::Annot(annot));
        }
    }

    pub fn get_mut(&mut self, id: StructId) -> Option<&mut StructElem> {
        self.elems.get_mut(id)
    }

    /// Whether an element holds content (directly or below): empty elements are left out.
    pub fn non_empty(&self) -> Vec<bool> {
        let mut full = vec![false; self.elems.len()];
        // Post-order from the root (an inline element may be created before its parent, so
        // ids say nothing of depth); an explicit stack, for deep nesting.
        let mut stack = vec![(ROOT, false)];
        while let Some((id, children_done)) = stack.pop() {
            let Some(e) = self.elems.get(id) else {
                continue;
            };
            if !children_done {
                stack.push((id, true));
                for kid in &e.kids {
                    if let Kid::Elem(c) = kid {
                        stack.push((*c, false));
                    }
                }
                continue;
            }
            full[id] = e.role == Role::Document
                || e.kids.iter().any(|k| match k {
                    Kid::Content { .. } | Kid::Annot(_) => true,
                    Kid::Elem(c) => full.get(*c).copied().unwrap_or(false),
                });
        }
        full
    }
}
