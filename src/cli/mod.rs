//! The subcommands of the `livret` binary, one module each, and how diagnostics are shown.

pub mod build;
pub mod init;
pub mod messages;
pub mod report;
pub mod serve;
pub mod shell;
