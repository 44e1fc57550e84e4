//! `make bench`: measures every function against the floor and writes docs/benchmarks.md.
//!
//! Usage: bench [--functions-dir DIR] [--cold N] [--warm N] [--only a,b]
//! (defaults: the release binaries beside this one, 20 cold starts, 1,000 warm invocations).
//! Only a full run (every function, at least the default counts) rewrites docs/benchmarks.md.

use std::path::PathBuf;

use anyhow::Context;
use local_run::bench::{BenchOptions, describe_machine, report_path, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let here = std::env::current_exe()?.parent().map(PathBuf::from).context("locating the binaries")?;
    let mut options = BenchOptions::full(here);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--functions-dir" => options.functions_dir = PathBuf::from(value),
            "--cold" => options.cold_starts = value.parse()?,
            "--warm" => options.warm_invocations = value.parse()?,
            "--only" => options.functions = value.split(',').map(str::to_owned).collect(),
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    // Only a run of every function with the full counts is the published report.
    let publish = options.functions.len() == BenchOptions::full(PathBuf::new()).functions.len()
        && options.cold_starts >= 20
        && options.warm_invocations >= 1_000;
    let report = run(options, |step| eprintln!("bench: {step}")).await?;
    let markdown = report.markdown(&describe_machine());
    println!("{markdown}");
    if !publish {
        eprintln!("bench: a partial run; docs/benchmarks.md left as it was");
        return Ok(());
    }
    let path = report_path();
    std::fs::create_dir_all(path.parent().context("docs dir")?)?;
    std::fs::write(&path, markdown)?;
    eprintln!("bench: written to {}", path.display());
    Ok(())
}
