//! One integration-test binary; each module is a story told through the real binaries and the
//! real server. The binaries are those of the same build (`cargo xtask test` builds them first).
//! Server stories run against SQLite, and against PostgreSQL too when `DESK_TEST_PG` names a
//! database to create test databases from (e.g. postgres://postgres@127.0.0.1:5432/test).

mod admin;
mod cli;
mod db;
mod e2e;
mod harness;
mod live;
mod open311;
mod portal;
mod replicas;
mod resume;
mod server;
mod server_harness;
mod server_package;
mod simulation;
mod sync;
mod tls;
mod trust;
