//! One module per subcommand.

pub mod bench;
pub mod bench_code;
pub mod bench_math;
pub mod check;
pub mod detect;
pub mod eval;
pub mod kinds;
pub mod math;
pub mod report;
pub mod score;
pub mod serve;
pub mod serve_model;

/// Sizes rayon's global pool once; later calls keep the first size.
pub fn init_threads(threads: Option<usize>) {
    if let Some(threads) = threads {
        // An error only means the pool was already built, which is fine.
        let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global();
    }
}
