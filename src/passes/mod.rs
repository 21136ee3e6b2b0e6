//! IR → IR passes, run once for all writers, in this fixed order:
//! ids → links → typography → assets.

use crate::corpus::Corpus;
use crate::diag::Diagnostics;
use crate::ir::Document;

pub fn run_passes(doc: &mut Document, corpus: &Corpus, diags: &mut Diagnostics) {
    let _ = (doc, corpus, diags);
}
