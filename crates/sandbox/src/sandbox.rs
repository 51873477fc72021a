//! A prepared sandbox description, and one-shot ("cold") execution in a fresh sandbox.

use std::sync::Arc;

use crate::launch::LaunchPlan;
use crate::layout::{Interpreter, plan};
use crate::worker::Worker;
use crate::{Job, Outcome, Program, SandboxConfig, SandboxError};

/// Everything needed to start sandboxed fork servers, computed once.
pub(crate) struct Prepared {
    pub config: SandboxConfig,
    pub interpreter: Interpreter,
    pub plan: LaunchPlan,
    pub filters: Vec<String>,
}

/// A sandbox factory. [`Sandbox::run_cold`] builds fresh namespaces and a fresh interpreter for one
/// job; [`crate::Pool`] keeps warm ones.
#[derive(Clone)]
pub struct Sandbox {
    pub(crate) prepared: Arc<Prepared>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("python", &self.prepared.interpreter.executable)
            .field("config", &self.prepared.config)
            .finish()
    }
}

impl Sandbox {
    /// Checks privileges, finds the interpreter and builds the filesystem plan and seccomp filters.
    pub fn new(config: SandboxConfig) -> Result<Self, SandboxError> {
        let euid = nix::unistd::geteuid().as_raw();
        if euid != 0 {
            return Err(SandboxError::NotRoot { euid });
        }
        let interpreter = Interpreter::discover(config.python.as_deref())?;
        let plan = plan(&config, &interpreter)?;
        let filters = crate::filter::filters_hex()?;
        Ok(Self {
            prepared: Arc::new(Prepared {
                config,
                interpreter,
                plan,
                filters,
            }),
        })
    }

    /// Validates `job` against the limits and this sandbox's tmpfs size.
    pub(crate) fn validate(&self, job: &Job) -> Result<(), SandboxError> {
        job.validate()?;
        if matches!(job.program, Program::Preload(_)) && self.prepared.config.preload.is_none() {
            return Err(SandboxError::InvalidProgram(
                "a Preload program needs SandboxConfig::preload (a module defining run(payload))",
            ));
        }
        let total: u64 = job.files.iter().map(|(_, content)| content.len() as u64).sum();
        if total > self.prepared.config.box_bytes / 2 {
            return Err(SandboxError::InvalidFile {
                path: "(all files)".into(),
                reason: "total size exceeds half of the sandbox tmpfs (SandboxConfig::box_bytes)",
            });
        }
        Ok(())
    }

    /// Runs `job` in a brand-new sandbox (new namespaces, new interpreter), then tears it down.
    pub fn run_cold(&self, job: &Job) -> Result<Outcome, SandboxError> {
        self.validate(job)?;
        let mut worker = Worker::start(&self.prepared, 0, None)?;
        worker.execute(job, self.prepared.config.supervision_grace)
    }

    /// The real path of the interpreter used inside the sandbox (the same path is visible inside).
    pub fn python(&self) -> &std::path::Path {
        &self.prepared.interpreter.executable
    }
}
