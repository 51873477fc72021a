//! The server on an ephemeral loopback port, driven over HTTP (reqwest) and raw sockets.

mod endpoints;
mod robustness;
mod run_code;
mod util;
