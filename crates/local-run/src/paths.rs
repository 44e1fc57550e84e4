use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("."))
}

/// The Python of the project's venv (`MOTO_PYTHON`, else `.venv/bin/python`, installed by
/// `make venv`): it has moto, botocore and the calendar reader's peer.
pub fn venv_python() -> PathBuf {
    std::env::var_os("MOTO_PYTHON").map(PathBuf::from).unwrap_or_else(|| workspace_root().join(".venv/bin/python"))
}

/// A function binary of the current build: next to the running executable (`target/<profile>/`)
/// or one level up when running from `target/<profile>/deps/` (test executables).
pub fn function_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the running executable")?;
    let candidates: Vec<PathBuf> = exe.ancestors().skip(1).take(2).map(|dir| dir.join(name)).collect();
    match candidates.iter().find(|p| p.is_file()) {
        Some(path) => Ok(path.clone()),
        None => bail!(
            "function binary {name} not found in {:?}; build it first with `cargo build --workspace --all-targets`",
            candidates
        ),
    }
}
