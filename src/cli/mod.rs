//! The subcommands of the `livret` binary, one module each, the argument groups they share,
//! and how diagnostics are shown.

pub mod args;
pub mod build;
pub mod check;
pub mod clean;
pub mod dump_ir;
pub mod init;
pub mod messages;
pub mod progress;
pub mod report;
pub mod serve;
pub mod shell;
