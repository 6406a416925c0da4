//! The rush benchmark lives here (filled in by its own change).

/// Benchmark options.
#[derive(clap::Args)]
pub struct BenchArgs {}

/// Runs the benchmark.
pub async fn run(_args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("the benchmark is not built yet")
}
