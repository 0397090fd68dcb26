//! End-to-end tests of encrypted config files (issue 19) through the real
//! `keyward` binary, with Debian's `age` as the independent implementation, real
//! git repositories for the merge driver, and `script` for a terminal.

mod common;

#[path = "files/harness.rs"]
mod harness;

#[path = "files/basics.rs"]
mod basics;

#[path = "files/git.rs"]
mod git;

#[path = "files/rekey.rs"]
mod rekey;

#[path = "files/scan.rs"]
mod scan;

#[path = "files/server_recipient.rs"]
mod server_recipient;
