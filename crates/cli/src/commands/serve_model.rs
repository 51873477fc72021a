//! `assay serve-model`: a local Hugging Face checkpoint behind the OpenAI-compatible / vLLM routes the model kinds
//! call (`/v1/completions`, `/v1/chat/completions`, `/pooling`, `/classify`, `/v1/models`, `/healthz`), so model
//! rewards run on a CPU without a GPU server. The server itself lives in `assay_models::local`; this file only
//! parses arguments. Needs the cargo feature `local-models`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, ValueEnum};

/// Which of the checkpoint's abilities to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelKind {
    /// Whatever config.json describes.
    Auto,
    /// Sentence embeddings on /pooling (BERT).
    Embedding,
    /// Sequence classification on /classify and /pooling.
    Classify,
    /// Causal-LM scoring and generation on /v1/completions and /v1/chat/completions.
    Causal,
}

/// `assay serve-model`.
#[derive(Debug, Args)]
pub struct ServeModelArgs {
    /// Checkpoint directory: config.json, tokenizer.json, *.safetensors.
    #[arg(long)]
    pub model: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8001")]
    pub bind: SocketAddr,
    /// Check that the checkpoint supports this use (auto: serve what it supports).
    #[arg(long, value_enum, default_value_t = ModelKind::Auto)]
    pub kind: ModelKind,
    /// Requests computed at once; the others wait.
    #[arg(long, default_value_t = 2)]
    pub max_concurrency: usize,
}

#[cfg(not(feature = "local-models"))]
pub fn run(_args: &ServeModelArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!(
        "this assay was built without local models; rebuild with `cargo install --path crates/cli --features \
         local-models` (or `cargo build -p assay-cli --features local-models`)"
    )
}

#[cfg(feature = "local-models")]
#[allow(clippy::print_stderr)]
pub fn run(args: &ServeModelArgs) -> anyhow::Result<ExitCode> {
    use anyhow::{Context, bail};
    use assay_models::local::{Capability, LocalModel};

    if args.max_concurrency == 0 {
        bail!("--max-concurrency must be positive");
    }
    let model = LocalModel::shared(&args.model).with_context(|| format!("loading {}", args.model.display()))?;
    let capabilities = model.capabilities().to_vec();
    let have: Vec<&str> = capabilities.iter().map(|c| c.name()).collect();
    let wanted = match args.kind {
        ModelKind::Auto => None,
        ModelKind::Embedding => Some(Capability::Embedding),
        ModelKind::Classify => Some(Capability::Classify),
        ModelKind::Causal => Some(Capability::Causal),
    };
    if let Some(wanted) = wanted
        && !capabilities.contains(&wanted)
    {
        bail!(
            "{} is not a {} model (it supports: {})",
            args.model.display(),
            wanted.name(),
            have.join(", ")
        );
    }
    super::serve::server_runtime()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .with_context(|| format!("cannot listen on {}", args.bind))?;
        let address = listener.local_addr()?;
        eprintln!(
            "assay serve-model: `{}` ({}) on http://{address} (use endpoint = \"http://{address}/v1\")",
            model.name(),
            have.join(", ")
        );
        assay_models::local::serve(model, listener, args.max_concurrency, super::serve::shutdown_signal())
            .await
            .context("serving")?;
        eprintln!("assay serve-model: stopped");
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
