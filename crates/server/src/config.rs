//! Server settings: where to listen, who may call, and the limits that keep one caller from starving the rest.

use std::net::SocketAddr;
use std::time::Duration;

/// Everything the server needs besides the pipeline. [`ServerConfig::default`] is the safe default: loopback
/// only, no token, bounded bodies, batches, time and concurrency.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address to listen on (`127.0.0.1:8000` unless told otherwise; port 0 picks a free one).
    pub bind: SocketAddr,
    /// When set, every endpoint but `/healthz` requires `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// Largest request body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// Most records (or `/get_reward` queries) per request; more get 413.
    pub max_batch: usize,
    /// Wall-clock budget of one request's scoring; past it the server answers 504 with partial results marked.
    pub deadline: Duration,
    /// After the deadline, how long to wait for rewards to notice the cancellation and hand back what they
    /// finished before answering with every record marked as timed out.
    pub deadline_grace: Duration,
    /// Requests scored (or run in the sandbox) at once; further ones get 503 with `Retry-After`.
    pub max_concurrency: usize,
    /// Seconds suggested in `Retry-After` when saturated.
    pub retry_after_secs: u64,
    /// How long a client may take to send its whole body; slower ones get 408.
    pub read_timeout: Duration,
    /// How long a client may take to send a request's headers; a client that sends nothing, or trickles them, is
    /// disconnected.
    pub header_read_timeout: Duration,
    /// Record field whose equal values form a group for group shaping.
    pub group_field: String,
    /// `/get_reward`: the reward reported for a record that could not be scored. `None` (the default) reports
    /// `null`, so a failure is never mistaken for a real score of 0.
    pub error_reward: Option<f64>,
    /// `/get_reward`: special tokens removed from the end of the completion (repeatedly, with whitespace).
    pub strip_suffixes: Vec<String>,
    /// `/run_code`: sandbox workers (`None`: one per core). The pool starts on the first request.
    pub sandbox_workers: Option<usize>,
    /// `/run_code`: largest `run_timeout` and `compile_timeout` accepted, in seconds.
    pub max_code_timeout_secs: f64,
    /// `/run_code`: largest `memory_limit_MB` accepted; `-1` (SandboxFusion's "no limit") means this value.
    pub max_code_memory_mb: u64,
    /// `/run_code`: most bytes of `fetch_files` returned per run (files that do not fit are left out).
    pub max_fetch_bytes: usize,
}

/// Special tokens that OpenRLHF's decoded `query` commonly ends with (EOS and padding of common chat models).
pub const DEFAULT_STRIP_SUFFIXES: [&str; 6] = [
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "</s>",
    "<end_of_turn>",
];

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8000)),
            token: None,
            max_body_bytes: 32 << 20,
            max_batch: 4096,
            deadline: Duration::from_secs(60),
            deadline_grace: Duration::from_secs(2),
            max_concurrency: 64,
            retry_after_secs: 1,
            read_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(10),
            group_field: "group".to_owned(),
            error_reward: None,
            strip_suffixes: DEFAULT_STRIP_SUFFIXES.iter().map(|s| (*s).to_owned()).collect(),
            sandbox_workers: None,
            max_code_timeout_secs: 60.0,
            max_code_memory_mb: 4096,
            max_fetch_bytes: 8 << 20,
        }
    }
}
