//! One integration-test binary; each module is a story told through the real binaries.
//! The binaries are those of the same build (`cargo xtask test` builds them first).

mod cli;
mod harness;
