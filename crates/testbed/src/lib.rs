//! The loopback test bed of the tests and the benchmark: what stands between devices and the
//! server in the field and in an office's deployment, reproduced on one machine.

pub mod balancer;
pub mod link;
pub mod server;
