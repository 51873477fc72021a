//! `assay serve`: one pipeline behind HTTP until Ctrl-C or SIGTERM, which stop accepting and finish the requests
//! in flight.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use assay_core::Pipeline;
use assay_server::{Server, ServerConfig};
use clap::Args;

/// `assay serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Pipeline TOML file.
    #[arg(long, short)]
    pub config: PathBuf,
    /// Address to listen on. Loopback by default; bind another interface only with a token.
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub bind: SocketAddr,
    /// Name of an environment variable holding a bearer token every endpoint but /healthz then requires.
    #[arg(long, value_name = "NAME")]
    pub token_env: Option<String>,
    /// Largest request body in MiB (larger: 413).
    #[arg(long, default_value_t = 32)]
    pub max_body_mb: usize,
    /// Most records per request (more: 413).
    #[arg(long, default_value_t = 4096)]
    pub max_batch: usize,
    /// Per-request scoring deadline in milliseconds (past it: 504 with the unfinished records marked).
    #[arg(long, default_value_t = 60_000)]
    pub deadline_ms: u64,
    /// Requests scored at once (more: 503 with Retry-After).
    #[arg(long, default_value_t = 64)]
    pub max_concurrency: usize,
    /// Time a client may take to send its body, in milliseconds (slower: 408).
    #[arg(long, default_value_t = 30_000)]
    pub read_timeout_ms: u64,
    /// Time a client may take to send a request's headers, in milliseconds (slower, or silent: disconnected).
    #[arg(long, default_value_t = 10_000)]
    pub header_timeout_ms: u64,
    /// Field whose equal values form a group for group shaping.
    #[arg(long, default_value = "group")]
    pub group_field: String,
    /// /get_reward: reward reported for records that could not be scored (default: null).
    #[arg(long)]
    pub error_reward: Option<f64>,
    /// /run_code: sandbox workers (default: one per core).
    #[arg(long)]
    pub sandbox_workers: Option<usize>,
    /// Scoring threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
}

impl ServeArgs {
    fn server_config(&self) -> anyhow::Result<ServerConfig> {
        let token = match &self.token_env {
            Some(name) => {
                let token = std::env::var(name).with_context(|| format!("--token-env {name}: variable not set"))?;
                if token.trim().is_empty() {
                    bail!("--token-env {name}: the variable is empty");
                }
                Some(token)
            }
            None => None,
        };
        if self.max_concurrency == 0 || self.max_batch == 0 || self.max_body_mb == 0 || self.deadline_ms == 0 {
            bail!("--max-concurrency, --max-batch, --max-body-mb and --deadline-ms must be positive");
        }
        if self.header_timeout_ms == 0 {
            bail!("--header-timeout-ms must be positive");
        }
        Ok(ServerConfig {
            bind: self.bind,
            token,
            max_body_bytes: self.max_body_mb << 20,
            max_batch: self.max_batch,
            deadline: Duration::from_millis(self.deadline_ms),
            max_concurrency: self.max_concurrency,
            read_timeout: Duration::from_millis(self.read_timeout_ms),
            header_read_timeout: Duration::from_millis(self.header_timeout_ms),
            group_field: self.group_field.clone(),
            error_reward: self.error_reward,
            sandbox_workers: self.sandbox_workers,
            ..ServerConfig::default()
        })
    }
}

#[allow(clippy::print_stderr)]
pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    super::init_threads(args.threads);
    let config = args.server_config()?;
    let pipeline = Arc::new(Pipeline::from_file(&args.config, &crate::registry::full())?);
    if !config.bind.ip().is_loopback() && config.token.is_none() {
        eprintln!(
            "warning: serving {} without a token (--token-env); anyone who can reach it can use it",
            config.bind
        );
    }
    server_runtime()?.block_on(async {
        let server = Server::bind(pipeline.clone(), config.clone())
            .await
            .with_context(|| format!("cannot listen on {}", config.bind))?;
        let address = server.local_addr()?;
        eprintln!(
            "assay serve: pipeline `{}` on http://{address} (POST /v1/score, /get_reward, /run_code; GET /healthz, /metrics){}",
            pipeline.name(),
            if config.token.is_some() { ", bearer token required" } else { "" }
        );
        server.run(shutdown_signal()).await.context("serving")?;
        eprintln!("assay serve: stopped after finishing the requests in flight");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The async runtime of `assay serve` and `assay serve-model`: two threads are plenty for HTTP, the scoring
/// itself runs elsewhere.
pub(crate) fn server_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Ctrl-C or SIGTERM (also ends `assay serve-model`).
pub(crate) async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
