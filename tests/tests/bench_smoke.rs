//! `make bench` cannot rot: its driver runs here once, small, on the debug binaries. The
//! request counts it reports are the suite's per-call targets, so they are checked too (they
//! do not depend on timing).

use local_run::bench::{BenchOptions, FLOOR, describe_machine, run};
use local_run::function_binary;

#[tokio::test]
async fn the_benchmark_measures_each_function_and_counts_its_requests() -> anyhow::Result<()> {
    let functions_dir = function_binary(FLOOR)?.parent().map(std::path::PathBuf::from).unwrap_or_default();
    let options = BenchOptions {
        functions: [FLOOR, "holiday-check", "last-agent-lookup", "assignment-recorder", "ivr-choice-recorder"]
            .map(str::to_owned)
            .to_vec(),
        cold_starts: 2,
        warm_invocations: 20,
        assignments: 50,
        agents: 10,
        customers: 20,
        emulator_samples: 3,
        zip: false,
        ..BenchOptions::full(functions_dir)
    };
    let report = run(options, |_| {}).await?;
    assert_eq!(report.measurements.len(), 5);
    for m in &report.measurements {
        assert_eq!((m.init.len(), m.first_call.len(), m.warm.len()), (2, 2, 20), "{}", m.function);
        assert!(m.init.iter().all(|d| !d.is_zero()), "{}", m.function);
        assert!(m.peak_rss_kb > 0 && m.binary_bytes > 0, "{m:?}");
    }
    let requests = |function: &str| {
        report
            .measurements
            .iter()
            .find(|m| m.function == function)
            .map(|m| m.requests_per_warm.clone())
            .unwrap_or_default()
    };
    assert!(requests(FLOOR).is_empty(), "{:?}", requests(FLOOR));
    assert!(
        requests("holiday-check").is_empty(),
        "no S3 request within the cache window: {:?}",
        requests("holiday-check")
    );
    let lookup = requests("last-agent-lookup");
    assert_eq!(lookup.get("dynamodb:GetItem"), Some(&1.0), "{lookup:?}");
    assert_eq!(lookup.get("connect:GetCurrentUserData"), Some(&1.0), "{lookup:?}");
    assert_eq!(lookup.len(), 2, "{lookup:?}");
    let recorder = requests("assignment-recorder");
    // on contact events: the caller's number from DescribeContact, then one write
    let recorder: Vec<(String, f64)> = recorder.into_iter().collect();
    assert_eq!(recorder, [("connect:DescribeContact".to_owned(), 1.0), ("dynamodb:PutItem".to_owned(), 1.0)]);
    let choices = requests("ivr-choice-recorder");
    assert_eq!(choices.into_iter().collect::<Vec<_>>(), [("dynamodb:UpdateItem".to_owned(), 1.0)]);

    let (rate, limit) = local_run::bench::quota_call_rate(&lookup).unwrap();
    assert_eq!((rate, limit.as_str()), (2.0, "GetCurrentUserData"), "one request per call at 2/s");
    assert_eq!(local_run::bench::quota_call_rate(&requests("holiday-check")), None);

    let markdown = report.markdown(&describe_machine());
    assert!(
        markdown.contains("| last-agent-lookup | GetCurrentUserData 1 | GetCurrentUserData 2/s, 5 | 2.00 |"),
        "{markdown}"
    );
    for function in ["bench-floor", "holiday-check", "last-agent-lookup"] {
        assert!(markdown.contains(&format!("| {function} |")), "{markdown}");
    }
    assert!(
        report.direct.contains_key("last-agent-lookup") && report.above_emulator(&report.measurements[2]).is_some()
    );
    // CPU: init measured for every cold start, the direct requests' own thread, the projection
    for m in &report.measurements {
        assert!(
            !m.init_cpu.is_empty() && m.init_cpu.iter().all(|cpu| !cpu.is_zero()),
            "{}: {:?}",
            m.function,
            m.init_cpu
        );
    }
    assert!(report.direct["last-agent-lookup"].cpu > std::time::Duration::ZERO);
    for m in &report.measurements {
        assert_eq!(m.warm_connections, 0, "{}: warm calls keep their connections alive", m.function);
        // warm calls in rounds of blocks, every block's CPU read from the threads' schedstat
        assert_eq!(m.warm_cpu_blocks.len(), local_run::bench::CPU_BLOCKS, "{}", m.function);
        assert!(m.warm_cpu_blocks.iter().all(|cpu| !cpu.is_zero()), "{}: {:?}", m.function, m.warm_cpu_blocks);
        assert!(!m.warm_cpu_mean.is_zero(), "{}", m.function);
    }
    let memory = local_run::bench::stack_memory_mb();
    assert_eq!(
        (memory.get("holiday-check"), memory.get("holiday-fetcher")),
        (Some(&256), Some(&128)),
        "infra/lib/functions.ts"
    );
    assert!(markdown.contains("## CPU per call") && markdown.contains("## Memory size"), "{markdown}");
    Ok(())
}

/// The campaign engines' comparison runs too, small: the direct engine sends one
/// StartOutboundVoiceContact per call (its polls depend on timing, so only bounded), the
/// campaigns-v2 engine one PutOutboundRequestBatch per 25 calls and nothing else.
#[tokio::test]
async fn the_campaign_engines_are_compared_by_requests_per_call() -> anyhow::Result<()> {
    use local_run::connect_emulator::START_OUTBOUND_VOICE_CONTACT;
    use local_run::engine_bench::{campaign_engines, engines_markdown};

    let functions_dir = function_binary(FLOOR)?.parent().map(std::path::PathBuf::from).unwrap_or_default();
    let runs = campaign_engines(&functions_dir, 12).await?;
    let (direct, v2) = (&runs[0], &runs[1]);
    assert_eq!((direct.engine, direct.calls), ("direct", 12), "{direct:?}");
    assert_eq!(direct.requests.get(START_OUTBOUND_VOICE_CONTACT), Some(&12), "one per call: {direct:?}");
    assert!(direct.requests_per_call() > 1.0, "pacing reads the queue: {direct:?}");
    assert_eq!((v2.engine, v2.calls), ("campaigns-v2", 12), "{v2:?}");
    assert_eq!(v2.requests.iter().map(|(op, n)| (*op, *n)).collect::<Vec<_>>(), [("PutOutboundRequestBatch", 1)]);
    let (rate, op) = v2.quota_call_rate().unwrap_or_default();
    assert_eq!((rate, op), (24.0, "PutOutboundRequestBatch"), "2 requests/s x 12 calls per request");
    let markdown = engines_markdown(&runs, 12);
    assert!(
        markdown
            .contains("| campaigns-v2 | 1 | 12 | PutOutboundRequestBatch 1 | 0.08 | 24.0 (PutOutboundRequestBatch) |"),
        "{markdown}"
    );
    Ok(())
}
