#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

// One corpus folder for the whole run, rewritten for each input (no mkdir/rmdir per input).
static CORPUS_DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = CORPUS_DIR.get_or_init(livret_fuzz::scratch_dir);
    livret_fuzz::run_pipeline(data, dir.path());
});
