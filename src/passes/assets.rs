use crate::diag::Diagnostics;
use crate::ir::Document;
use std::path::Path;
pub fn load_assets(_doc: &mut Document, _root: &Path, _diags: &mut Diagnostics) {}
