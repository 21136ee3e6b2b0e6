//! livret: a Jekyll FAQ corpus → PDF, EPUB and HTML, each persona its own chapter.
//!
//! content/ ──load──▶ Corpus ──read──▶ Document ──passes──▶ Document ──write──▶ out/

pub mod corpus;
pub mod diag;
pub mod ir;
pub mod passes;
pub mod read;
pub mod theme;
pub mod write;
