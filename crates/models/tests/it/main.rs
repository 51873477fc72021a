//! Model kinds against a mock OpenAI/vLLM server: request shapes, the math, retries, limits, cache and keys.

mod examples;
mod kinds;
mod mock;
mod transport;
mod util;
