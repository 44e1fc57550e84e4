//! `make profile`: reads `perf report --no-children --sort dso,sym -g none --stdio` on stdin and
//! prints the self-time share of each crate as a markdown table (docs/cpu-profile.md).

use std::io::Read;

use local_run::crate_profile;

fn main() -> anyhow::Result<()> {
    let mut report = String::new();
    std::io::stdin().read_to_string(&mut report)?;
    let shares = crate_profile::by_crate(&report);
    anyhow::ensure!(!shares.is_empty(), "no samples in the report on stdin");
    print!("{}", crate_profile::markdown(&shares, 20));
    Ok(())
}
