use crate::ir::Document;
pub fn apply_french_spacing(_doc: &mut Document) {}
