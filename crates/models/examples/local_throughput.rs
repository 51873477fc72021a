//! Throughput of the in-process models: sentence embeddings of a BERT checkpoint (e.g. all-MiniLM-L6-v2), and,
//! with a causal checkpoint, scoring texts with `/v1/completions`-style echo. Threads: set `RAYON_NUM_THREADS`.
//!
//! `RAYON_NUM_THREADS=1 cargo run --release -p assay-models --features local-models --example local_throughput -- DIR [TEXTS] [BATCH]`
#![allow(clippy::print_stdout)]

use std::path::PathBuf;
use std::time::Instant;

use assay_models::local::{Capability, LocalModel};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().ok_or("usage: local_throughput DIR [TEXTS] [BATCH]")?);
    let count: usize = args.next().map_or(Ok(512), |a| a.parse())?;
    let batch: usize = args.next().map_or(Ok(32), |a| a.parse())?;
    let model = LocalModel::load(&dir)?;
    // Sentences of 10-20 words, like short answers.
    let words = [
        "the", "answer", "is", "because", "light", "scatters", "in", "air", "so", "sky", "looks", "blue",
    ];
    let texts: Vec<String> = (0..count)
        .map(|i| {
            (0..10 + i % 11)
                .map(|j| words[(i * 7 + j * 3) % words.len()])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    if model.capabilities().contains(&Capability::Embedding) {
        model.embed(&texts[..batch.min(count)])?;
        let start = Instant::now();
        for chunk in texts.chunks(batch) {
            model.embed(chunk)?;
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "embeddings: {count} texts of 10-20 words in batches of {batch}: {seconds:.2} s, {:.1} texts/s",
            count as f64 / seconds
        );
    }
    if model.capabilities().contains(&Capability::Causal) {
        let start = Instant::now();
        for text in &texts {
            model.generate(text, 1, 5)?;
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "causal scoring (echo + 1 token, top 5): {count} texts: {seconds:.2} s, {:.1} texts/s",
            count as f64 / seconds
        );
    }
    Ok(())
}
