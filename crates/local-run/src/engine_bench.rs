//! The campaign engines side by side: one list of customers dialed by campaign-dialer itself
//! (`ENGINE=direct`) and handed to an Outbound Campaigns v2 campaign (`ENGINE=campaigns-v2`),
//! each against its emulator, counting the API requests per call placed and, from Connect's
//! default quotas, how many calls per second each engine can start before it is throttled.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;

use crate::campaign::{CAMPAIGN_DIALER, CampaignRig, OUTBOUND_QUEUE};
use crate::campaigns_emulator::{CampaignsEmulator, PUT_OUTBOUND_REQUEST_BATCH};
use crate::connect_emulator::quotas::default_quota;
use crate::connect_emulator::{DESCRIBE_CONTACT, GET_CURRENT_METRIC_DATA, START_OUTBOUND_VOICE_CONTACT};
use crate::{FunctionOptions, LambdaProcess};

/// Agents free at once for the direct engine: it dials no faster than they answer.
const AGENTS: u32 = 5;
/// Runs at most, one after another, to place every call (the schedule's invocations).
const MAX_RUNS: usize = 20;

/// One engine's run over the list.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineRun {
    pub engine: &'static str,
    /// Calls placed (direct) or requests the campaign accepted to dial (campaigns-v2).
    pub calls: usize,
    /// API requests by operation.
    pub requests: BTreeMap<&'static str, usize>,
    pub runs: usize,
}

impl EngineRun {
    pub fn requests_per_call(&self) -> f64 {
        self.requests.values().sum::<usize>() as f64 / self.calls.max(1) as f64
    }

    /// Calls per second the engine can start before Connect's default quota of its most limiting
    /// operation throttles it (quota rate / requests of it per call), with that operation.
    pub fn quota_call_rate(&self) -> Option<(f64, &'static str)> {
        self.requests
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(op, n)| (default_quota(op).rate * self.calls as f64 / *n as f64, *op))
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }
}

fn numbers(customers: usize) -> Vec<String> {
    (0..customers).map(|i| format!("+8190{:08}", 40_000_000 + i)).collect()
}

async fn dialer(functions_dir: &Path, rig: &CampaignRig, own: &[(&str, &str)]) -> anyhow::Result<LambdaProcess> {
    let own = [&[("POLL_SECONDS", "0.05"), ("MAX_CALLS_PER_RUN", "1000")], own].concat();
    let options =
        FunctionOptions { timeout: Duration::from_secs(30), ..FunctionOptions::new(CAMPAIGN_DIALER, rig.env(&own)) };
    LambdaProcess::spawn(&functions_dir.join(CAMPAIGN_DIALER), options).await
}

/// `ENGINE=direct`: `AGENTS` free agents; each placed call is answered by nobody and ends soon
/// after (a background task plays the customers), which frees its agent for the next call.
async fn direct(functions_dir: &Path, customers: usize) -> anyhow::Result<EngineRun> {
    let rig = CampaignRig::start().await?;
    let list = numbers(customers);
    rig.add_pending(&list.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(AGENTS));
    let mut process = dialer(functions_dir, &rig, &[]).await?;
    let done = AtomicBool::new(false);
    let customers_hang_up = async {
        let mut ended = HashSet::new();
        while !done.load(Ordering::Relaxed) {
            for call in rig.connect.outbound_calls() {
                if ended.insert(call.contact_id.clone()) {
                    rig.connect.end_contact(&call.contact_id);
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let dial = async {
        let mut runs = 0;
        let mut outcome = Ok(());
        while runs < MAX_RUNS && rig.connect.outbound_calls().len() < customers {
            if let Err(e) = process.invoke(&json!({})).await.and_then(|o| o.response()) {
                outcome = Err(e);
                break;
            }
            runs += 1;
        }
        done.store(true, Ordering::Relaxed);
        outcome.map(|()| runs)
    };
    let ((), runs) = tokio::join!(customers_hang_up, dial);
    let runs = runs?;
    let requests = [START_OUTBOUND_VOICE_CONTACT, GET_CURRENT_METRIC_DATA, DESCRIBE_CONTACT]
        .into_iter()
        .map(|op| (op, rig.connect.requests(op)))
        .collect();
    Ok(EngineRun { engine: "direct", calls: rig.connect.outbound_calls().len(), requests, runs })
}

/// `ENGINE=campaigns-v2`: a Running campaign takes every request.
async fn campaigns_v2(functions_dir: &Path, customers: usize) -> anyhow::Result<EngineRun> {
    let rig = CampaignRig::start().await?;
    let campaigns = CampaignsEmulator::start().await?;
    campaigns.add_campaign("bench-v2", "Running");
    let list = numbers(customers);
    rig.add_pending(&list.iter().map(String::as_str).collect::<Vec<_>>()).await?;
    let endpoint = campaigns.endpoint();
    let own = [
        ("ENGINE", "campaigns-v2"),
        ("OUTBOUND_CAMPAIGN_ID", "bench-v2"),
        ("AWS_ENDPOINT_URL_CONNECTCAMPAIGNSV2", endpoint.as_str()),
    ];
    let mut process = dialer(functions_dir, &rig, &own).await?;
    let mut runs = 0;
    while runs < MAX_RUNS && campaigns.requests().len() < customers {
        process.invoke(&json!({})).await?.response()?;
        runs += 1;
    }
    let mut requests = BTreeMap::from([(PUT_OUTBOUND_REQUEST_BATCH, campaigns.received(PUT_OUTBOUND_REQUEST_BATCH))]);
    for op in [START_OUTBOUND_VOICE_CONTACT, GET_CURRENT_METRIC_DATA, DESCRIBE_CONTACT] {
        requests.insert(op, rig.connect.requests(op));
    }
    requests.retain(|_, n| *n > 0);
    Ok(EngineRun { engine: "campaigns-v2", calls: campaigns.requests().len(), requests, runs })
}

/// Both engines over `customers` customers, one after the other in the same run.
pub async fn campaign_engines(functions_dir: &Path, customers: usize) -> anyhow::Result<Vec<EngineRun>> {
    Ok(vec![direct(functions_dir, customers).await?, campaigns_v2(functions_dir, customers).await?])
}

/// The engines' table for docs/benchmarks.md.
pub fn engines_markdown(runs: &[EngineRun], customers: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## Campaign engines: requests per call\n");
    let _ = writeln!(
        out,
        "campaign-dialer over a list of {customers} customers with each engine, in the same run: `direct` with \
         {AGENTS} free agents and customers who hang up at once (every call frees its agent), `campaigns-v2` \
         handing the list to a Running campaign. Requests are the API calls the dialer made; the last column is \
         the call rate at which Connect's default quota of the most limiting operation throttles the engine \
         (quota rate x calls per request of it; Outbound Campaigns v2 publishes no per-API rate, so the \
         emulator's stricter guess, 2/s, is used).\n"
    );
    let _ = writeln!(
        out,
        "| engine | runs | calls | requests by operation | requests per call | calls/s before throttling |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for run in runs {
        let by_op: Vec<String> = run.requests.iter().map(|(op, n)| format!("{op} {n}")).collect();
        let rate = match run.quota_call_rate() {
            Some((rate, op)) => format!("{rate:.1} ({op})"),
            None => "-".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {:.2} | {rate} |",
            run.engine,
            run.runs,
            run.calls,
            by_op.join(", "),
            run.requests_per_call()
        );
    }
    out
}
