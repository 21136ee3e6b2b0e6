//! The integration tests, one binary: each module drives the real `livret` binary (or the library)
//! the way a user would. One binary links once, where one per file linked 19 times.

mod common;

mod booklet;
mod cli;
mod deep_and_wide;
mod epub;
mod faults;
mod fuzz_regressions;
mod golden;
mod hostile;
mod html;
mod kramdown;
mod languages;
mod man;
mod parallel;
mod pdf;
mod pdf_scale;
mod pdf_tagged;
mod print;
mod project;
mod release;
mod reliability;
mod reproducible;
mod serve;
mod validators;
