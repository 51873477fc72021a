//! Starting a server with test-only reward kinds, and small HTTP helpers.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use assay_core::{
    Component, KeyError, Kind, Pipeline, Registry, Reward, RewardError, RewardSpec, Sample, SampleReward,
};
use assay_server::{Server, ServerConfig};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Panics on records with `"explode": true`, else 1.
struct Explosive;

impl SampleReward for Explosive {
    fn score(&self, sample: &Sample) -> Result<Component, RewardError> {
        if sample.record.get("explode") == Some(&Value::Bool(true)) {
            panic!("test reward exploded on record {}", sample.index);
        }
        Ok(Component::new(1.0))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SleepParams {
    ms: u64,
}

/// Sleeps `ms` per record, then 0.5.
struct Sleepy(Duration);

impl SampleReward for Sleepy {
    fn score(&self, _sample: &Sample) -> Result<Component, RewardError> {
        std::thread::sleep(self.0);
        Ok(Component::new(0.5))
    }
}

fn build_explosive(_spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    Ok(Box::new(Explosive))
}

fn build_sleepy(spec: &RewardSpec) -> Result<Box<dyn Reward>, KeyError> {
    let params: SleepParams = spec.params.parse()?;
    Ok(Box::new(Sleepy(Duration::from_millis(params.ms))))
}

/// Builtin + math kinds, plus `explode` and `sleep` (test only).
pub fn registry() -> Registry {
    let mut registry = Registry::builtin();
    assay_math::register(&mut registry);
    registry.add_reward(Kind {
        name: "explode",
        summary: "test: panics on records with explode = true",
        build: build_explosive,
    });
    registry.add_reward(Kind {
        name: "sleep",
        summary: "test: sleeps `ms` per record",
        build: build_sleepy,
    });
    registry
}

pub fn pipeline(toml: &str) -> Pipeline {
    Pipeline::from_toml(toml, Path::new("test.toml"), &registry()).expect("test pipeline is valid")
}

/// A running server; dropping it does not stop it, `stop` does (gracefully).
pub struct Running {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Running {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent");
        status_and_json(response).await
    }

    pub async fn post_raw(&self, path: &str, body: &'static str) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request sent");
        status_and_json(response).await
    }

    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text")
    }

    /// Stops accepting, waits for the requests in flight, and returns when the server has stopped.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran");
        }
    }
}

pub async fn status_and_json(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

/// Loopback, port 0, short timeouts for tests.
pub fn test_config() -> ServerConfig {
    ServerConfig {
        bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        read_timeout: Duration::from_secs(5),
        ..ServerConfig::default()
    }
}

pub async fn start(toml: &str, config: ServerConfig) -> Running {
    let server = Server::bind(Arc::new(pipeline(toml)), config).await.expect("bind");
    let addr = server.local_addr().expect("address");
    let (shutdown, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = stopped.await;
    }));
    Running {
        addr,
        client: plain_http_client(),
        shutdown: Some(shutdown),
        task: Some(task),
    }
}

/// The value of a metric line that starts with `prefix` (series name and labels).
pub fn metric(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(prefix) && line[prefix.len()..].starts_with(' '))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

pub const TEXT_PIPELINE: &str = r#"
name = "test-text"
[[reward]]
name = "format"
kind = "tags"
require = ["think", "answer"]
[[reward]]
name = "correct"
kind = "exact_match"
[[shape]]
kind = "group_norm"
"#;

/// A reqwest client for the loopback server. The workspace's reqwest has TLS without a bundled crypto provider
/// (assay-models installs ring for its endpoints), and reqwest needs one installed to build any client.
pub fn plain_http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}
