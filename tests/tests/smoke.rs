//! `make smoke` as a deployed stack would meet it: the smoke script (infra/bin/smoke.ts) runs the
//! real AWS CLI against emulated Lambda in front of the real function binaries, on emulated AWS.

use std::path::PathBuf;

use local_run::smoke::SmokeRig;
use local_run::workspace_root;

const FUNCTIONS: [&str; 7] = [
    "holiday-fetcher",
    "holiday-check",
    "last-agent-lookup",
    "agent-picker",
    "assignment-recorder",
    "ivr-choice-recorder",
    "campaign-dialer",
];

/// The AWS CLI the Makefile installs (`SMOKE_AWS_CLI`, else `.venv-smoke/bin/aws`).
fn aws_cli() -> PathBuf {
    std::env::var_os("SMOKE_AWS_CLI").map(PathBuf::from).unwrap_or_else(|| workspace_root().join(".venv-smoke/bin/aws"))
}

/// Runs the smoke script against the rig: its exit status and output.
async fn run_smoke(rig: &SmokeRig, functions: &[&str]) -> anyhow::Result<(i32, String)> {
    let aws = aws_cli();
    anyhow::ensure!(aws.is_file(), "{} not found: run `make venv-smoke`", aws.display());
    // Awaited, not blocking: emulated Lambda answers the CLI on this test's own runtime.
    let output = tokio::process::Command::new("npx")
        .args(["--no-install", "ts-node", "--transpile-only", "bin/smoke.ts", "--endpoint-url"])
        .arg(rig.lambda.endpoint())
        .args(["--functions", &functions.join(","), "--region", local_run::aws::REGION, "--aws"])
        .arg(&aws)
        .current_dir(workspace_root().join("infra"))
        .envs(rig.cli_env())
        .output()
        .await?;
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    Ok((output.status.code().unwrap_or(-1), text))
}

fn line<'a>(report: &'a str, function: &str) -> &'a str {
    report.lines().find(|l| l.starts_with(function)).unwrap_or_default()
}

#[tokio::test]
async fn every_function_answers_its_sample_through_the_aws_cli() -> anyhow::Result<()> {
    let rig = SmokeRig::start(&FUNCTIONS).await?;
    let (status, report) = run_smoke(&rig, &FUNCTIONS).await?;
    assert_eq!(status, 0, "{report}");
    assert!(report.contains("smoke: all 7 answered"), "{report}");
    // holiday-fetcher published the list (its daily run), so holiday-check answers from it
    assert!(line(&report, "holiday-fetcher").contains("status=updated"), "{report}");
    assert!(line(&report, "holiday-check").contains("status=ok"), "{report}");
    assert!(line(&report, "last-agent-lookup").contains("found=false"), "{report}");
    assert!(line(&report, "agent-picker").contains("status=available agentId=suzuki"), "{report}");
    // the samples change nothing: a chat is skipped, an unknown customer is not created
    assert!(line(&report, "assignment-recorder").contains("skipped=not a voice contact"), "{report}");
    assert!(line(&report, "ivr-choice-recorder").contains("recorded=false"), "{report}");
    // campaign-dialer only looks: a dry run dials nobody
    assert!(line(&report, "campaign-dialer").contains("dryRun=true"), "{report}");
    for function in FUNCTIONS {
        assert_eq!(rig.lambda.invocations(function).await, 1, "{function}");
    }
    Ok(())
}

#[tokio::test]
async fn a_function_that_fails_or_is_missing_fails_the_smoke_test() -> anyhow::Result<()> {
    // holiday-check without its bucket's list (no fetcher ran) answers, but a function asked for
    // and not deployed does not
    let rig = SmokeRig::start(&["holiday-check"]).await?;
    let (status, report) = run_smoke(&rig, &["holiday-check", "last-agent-lookup"]).await?;
    assert_eq!(status, 1, "{report}");
    assert!(line(&report, "holiday-check").contains("status=error"), "{report}");
    assert!(line(&report, "last-agent-lookup").contains("error") && report.contains("Function not found"), "{report}");
    assert!(report.contains("smoke: 1 of 2 did not answer"), "{report}");
    Ok(())
}
