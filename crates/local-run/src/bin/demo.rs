//! `make demo`: the holiday pipeline (with hours-of-operation overrides), returning-caller
//! routing and an outbound campaign on emulated AWS, with a readable transcript.
//!
//! moto plays S3, SNS, SQS and DynamoDB; a loopback server plays the calendar site and the
//! project's emulator plays Amazon Connect; the real function
//! binaries run through the project's Lambda Runtime API driver. Everything started here stops
//! when the demo ends, on success, failure or Ctrl-C.

use std::time::{Duration, Instant};

use chrono::Datelike;
use connect_core::phone::mask;
use local_run::campaign::{CAMPAIGN, CAMPAIGN_DIALER, CampaignRig, IVR_CHOICE_RECORDER, OUTBOUND_QUEUE, answer_event};
use local_run::connect_emulator::{GET_CURRENT_METRIC_DATA, OutboundCall};
use local_run::emf::{self, MetricLine};
use local_run::holidays::{CALENDAR_PATH, HolidayRig};
use local_run::routing::{ASSIGNMENT_RECORDER, LAST_AGENT_LOOKUP, RoutingRig, contact_event};
use local_run::{LambdaProcess, Outcome, StubResponse};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tokio::select! {
        result = run() => result,
        _ = tokio::signal::ctrl_c() => {
            println!("\ninterrupted: stopping emulators and functions");
            Ok(())
        }
    }
}

async fn run() -> anyhow::Result<()> {
    println!("== connect-lambdas demo: the holiday pipeline on emulated AWS ==\n");
    let rig = HolidayRig::start().await?;
    println!(
        "moto (S3, SNS, SQS) on {}; sample calendar served at {}",
        rig.moto.endpoint(),
        rig.calendars.url(CALENDAR_PATH)
    );
    println!("bucket s3://{}, alert topic {}\n", local_run::holidays::BUCKET, rig.topic_arn);

    println!("-- holiday-fetcher (the daily EventBridge schedule) --");
    println!("   CLOSED_DATES=12-29..01-03 adds the center's year-end closure");
    let mut fetcher = rig.spawn_fetcher(&[("CLOSED_DATES", "12-29..01-03")]).await?;
    fetch(&mut fetcher, &rig, "first run").await?;
    fetch(&mut fetcher, &rig, "second run, same calendar").await?;
    rig.calendars.set(CALENDAR_PATH, StubResponse::ok("<!DOCTYPE html><html><body>Service Unavailable</body></html>"));
    let before = rig.stored_list().await?;
    fetch(&mut fetcher, &rig, "the calendar site answers an HTML error page").await?;
    let kept = rig.stored_list().await? == before;
    println!("   stored list byte-for-byte unchanged: {kept}\n");

    println!("-- holiday-check (a contact flow asks; TIME_ZONE=Asia/Tokyo) --");
    let mut check = rig.spawn_check(&[]).await?;
    let questions = [
        (json!({"date": "2026-11-23"}), "a public holiday"),
        (json!({"date": "2026-11-24"}), "an ordinary Tuesday"),
        (json!({"date": "2026-12-25"}), "Christmas: an observance, a working day"),
        (json!({"date": "2026-12-30"}), "the center's own year-end closure"),
        (json!({"at": "2026-11-22T14:59:00Z"}), "23:59 on Sunday 11-22 in Tokyo"),
        (json!({"at": "2026-11-22T15:01:00Z"}), "00:01 on Monday 11-23 in Tokyo"),
        (json!({"date": "2027-01-01"}), "New Year's Day"),
        (json!({"date": "31/12/2026"}), "a malformed parameter"),
    ];
    for (params, what) in questions {
        let answer = ask(&mut check, params.clone()).await?;
        println!(
            "   {:<34} {:<42} -> isHoliday={:<5} {:<14} status={}{}",
            params.to_string(),
            what,
            answer["isHoliday"].as_str().unwrap_or_default(),
            answer["holidayName"].as_str().unwrap_or_default(),
            answer["status"].as_str().unwrap_or_default(),
            answer["error"].as_str().map(|e| format!(" ({e})")).unwrap_or_default(),
        );
    }
    let mut metrics = fetcher.metric_lines().await?;
    metrics.extend(check.metric_lines().await?);
    metrics.extend(hours_overrides(&rig).await?);
    metrics.extend(two_sites(&rig).await?);
    drop((check, fetcher, rig));
    metrics.extend(returning_caller().await?);
    metrics.extend(outbound_campaign().await?);
    println!(
        "\n-- metrics: what the dashboard would show (CloudWatch namespace ConnectLambdas, from the {} EMF lines the functions wrote) --",
        metrics.len()
    );
    print!("{}", emf::summary(&metrics));
    println!("\n== demo complete; stopping moto, the emulators and the functions ==");
    Ok(())
}

/// holiday-fetcher keeping a Connect hours of operation's holiday overrides in step (a person's
/// override stays), then a second run that finds nothing to change.
async fn hours_overrides(rig: &HolidayRig) -> anyhow::Result<Vec<MetricLine>> {
    use local_run::connect_emulator::{CREATE_HOURS_OVERRIDE, ConnectEmulator, DELETE_HOURS_OVERRIDE, instance_arn};
    println!("\n-- hours-of-operation overrides (holiday-fetcher + the Connect emulator) --");
    rig.calendars.set(CALENDAR_PATH, StubResponse::ok(local_run::holidays::sample_calendar()?));
    let connect = ConnectEmulator::start().await?;
    connect.add_hours_override("main-hours", "Company anniversary", "2026-12-01");
    let (endpoint, instance) = (connect.endpoint(), instance_arn());
    let env = [
        ("AWS_ENDPOINT_URL_CONNECT", endpoint.as_str()),
        ("CONNECT_INSTANCE_ID", instance.as_str()),
        ("HOURS_OF_OPERATION_IDS", "main-hours"),
        ("CLOSED_DATES", "12-29..01-03"),
    ];
    let mut fetcher = rig.spawn_fetcher(&env).await?;
    let writes = || connect.requests(CREATE_HOURS_OVERRIDE) + connect.requests(DELETE_HOURS_OVERRIDE);
    for run in ["first run", "second run"] {
        let before = writes();
        let started = std::time::Instant::now();
        let summary = fetcher.invoke(&json!({"source": "aws.events"})).await?.response()?;
        let report = &summary["overrides"][0];
        let count = |key: &str| report[key].as_array().map(Vec::len).unwrap_or_default();
        println!(
            "   {run}: created {}, removed {}, kept {}, did not fit {} (Connect allows 50); {} create/delete requests in {:.1} s",
            count("created"),
            count("removed"),
            report["kept"],
            count("notFitting"),
            writes() - before,
            started.elapsed().as_secs_f64()
        );
    }
    {
        let quota = connect.quota(CREATE_HOURS_OVERRIDE);
        println!(
            "      paced to Connect's default quota ({}/s, burst {}): {} throttled",
            quota.rate,
            quota.burst,
            connect.throttled(CREATE_HOURS_OVERRIDE)
        );
    }
    let overrides = connect.hours_overrides("main-hours");
    for o in overrides.iter().take(4) {
        println!("      {:<40} {} {}", o.name, o.override_type, o.effective_from);
    }
    let kept = overrides.iter().any(|o| o.name == "Company anniversary");
    println!(
        "      ... {} overrides in all; the person's \"Company anniversary\" still there: {kept}",
        overrides.len()
    );
    fetcher.metric_lines().await
}

/// One deployment, two sites: Tokyo closes early on 12-28, New York (its own feed and time zone)
/// on 11-01, the day its clocks go back; holiday-check answers each in its own local time.
async fn two_sites(rig: &HolidayRig) -> anyhow::Result<Vec<MetricLine>> {
    use local_run::holidays::{US_CALENDAR, US_CALENDAR_PATH};
    println!("\n-- two sites and an early close (SITES; holiday-check with a site parameter) --");
    rig.calendars.set(US_CALENDAR_PATH, StubResponse::ok(US_CALENDAR));
    let sites = json!([
        {"name": "tokyo", "calendars": [rig.calendars.url(CALENDAR_PATH)], "closures": "12-29..01-03, 12-28 15:00-24:00"},
        {"name": "new-york", "timeZone": "America/New_York", "calendars": [rig.calendars.url(US_CALENDAR_PATH)],
         "closures": "2026-11-01 15:00-24:00"}
    ])
    .to_string();
    println!("   SITES={sites}");
    let mut fetcher = rig.spawn_fetcher_with(&[("SITES", &sites)]).await?;
    let summary = fetcher.invoke(&json!({"source": "aws.events"})).await?.response()?;
    for site in summary["sites"].as_array().cloned().unwrap_or_default() {
        println!(
            "   holiday-fetcher -> site {}: {} holidays",
            site["site"].as_str().unwrap_or_default(),
            site["holidayCount"]
        );
    }
    let mut check = rig.spawn_check(&[("SITE", "tokyo")]).await?;
    let questions = [
        (json!({"at": "2026-12-28T05:59:00Z"}), "Tokyo 14:59 on 12-28"),
        (json!({"at": "2026-12-28T06:01:00Z"}), "Tokyo 15:01 on 12-28 (early close)"),
        (json!({"site": "new-york", "at": "2026-11-01T19:59:00Z"}), "New York 14:59 EST on 11-01"),
        (json!({"site": "new-york", "at": "2026-11-01T20:01:00Z"}), "New York 15:01 EST on 11-01"),
        (json!({"site": "new-york", "date": "2026-11-26"}), "New York, Thanksgiving"),
        (json!({"site": "new-york", "date": "2026-11-23"}), "New York on Tokyo's holiday"),
    ];
    for (params, what) in questions {
        let answer = ask(&mut check, params).await?;
        let text = |k: &str| answer[k].as_str().unwrap_or_default().to_owned();
        println!(
            "   {what:<38} -> isClosed={:<5} isHoliday={:<5} {}{}",
            text("isClosed"),
            text("isHoliday"),
            text("holidayName"),
            if text("closedFrom").is_empty() {
                String::new()
            } else {
                format!(" ({} to {})", text("closedFrom"), text("closedUntil"))
            }
        );
    }
    let mut lines = fetcher.metric_lines().await?;
    lines.extend(check.metric_lines().await?);
    Ok(lines)
}

/// Three calls from one number: the second reaches the first call's agent, the third finds
/// that agent on a call and is offered the next available one.
async fn returning_caller() -> anyhow::Result<Vec<MetricLine>> {
    use local_run::connect_emulator::{GET_CURRENT_USER_DATA, OPERATIONS};
    const CALLER: &str = "+819012345678";
    println!("\n-- returning-caller routing (moto DynamoDB + the Connect emulator's contact life) --");
    let rig = RoutingRig::start().await?;
    rig.add_agent("suzuki", true, 1_000.0);
    rig.add_agent("sato", true, 2_000.0);
    println!("   agents: suzuki and sato (Available) on the support routing profile, which serves q-support");
    let mut lookup = rig.spawn(LAST_AGENT_LOOKUP, &[]).await?;
    let mut recorder = rig.spawn(ASSIGNMENT_RECORDER, &[]).await?;
    for function in [&mut lookup, &mut recorder] {
        function.ready().await?;
    }
    let masked = connect_core::phone::mask(CALLER);
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    let connect_requests = || OPERATIONS.iter().map(|op| rig.connect.requests(op)).sum::<usize>();
    let mut ask = async |contact: &str, number: &str| -> anyhow::Result<Value> {
        let before = connect_requests();
        let found = lookup.invoke(&contact_event(contact, Some(number), json!({}))).await?.response()?;
        let preferred = text(&found, "preferAgent") == "true";
        println!(
            "      last-agent-lookup -> found={} preferAgent={} agentState={} agent={} ({} Connect request(s)); {}",
            text(&found, "found"),
            text(&found, "preferAgent"),
            text(&found, "agentState"),
            text(&found, "agentId"),
            connect_requests() - before,
            if preferred {
                "the flow sets routing criteria preferring them for 30 s, then the standard queue"
            } else {
                "the flow sends the caller to the standard queue; Connect chooses"
            }
        );
        Ok(found)
    };

    println!("   call 1 from {masked}, a new caller:");
    ask("call-1", CALLER).await?;
    let first = rig.answered_call(Some(CALLER), "suzuki");
    println!("      suzuki answers: Connect publishes the contact events of {first}");
    let outcomes = rig.deliver(&mut recorder, &rig.connect.contact_events()).await?;
    let recorded = outcomes.iter().filter(|o| o["recorded"] == true).count();
    println!(
        "      assignment-recorder on {} events (INITIATED, QUEUED, CONNECTED_TO_AGENT): recorded {recorded}, on CONNECTED_TO_AGENT, after one DescribeContact for the number",
        outcomes.len()
    );
    rig.connect.end_contact(&first);
    println!("   call 2 from {masked}:");
    let before = rig.connect.requests(GET_CURRENT_USER_DATA);
    ask("call-2", CALLER).await?;
    println!(
        "      (GetCurrentUserData filtered to suzuki: {} request)",
        rig.connect.requests(GET_CURRENT_USER_DATA) - before
    );
    rig.connect.log_out("suzuki");
    println!("   (suzuki logs out of the CCP)");
    println!("   call 3 from {masked}:");
    ask("call-3", CALLER).await?;
    println!("   call 4, number withheld:");
    ask("call-4", "anonymous").await?;
    let logs: Vec<String> = [&lookup, &recorder].iter().flat_map(|f| f.logs()).collect();
    let full = logs.iter().filter(|l| l.contains(CALLER)).count();
    println!("   log lines: {}, with the caller's full number: {full} (logs show {masked})", logs.len());
    let mut lines = lookup.metric_lines().await?;
    lines.extend(recorder.metric_lines().await?);
    Ok(lines)
}

/// Four customers, one agent: no call outside the calling hours; inside them the dialer places a
/// call only when an agent is free for it, each customer's keypad answer lands on their row, a
/// call nobody answered is tried again after RETRY_AFTER_MINUTES, and a 9 is never called again.
async fn outbound_campaign() -> anyhow::Result<Vec<MetricLine>> {
    const CUSTOMERS: [&str; 4] = ["+819011110001", "+819011110002", "+819011110003", "+819011110004"];
    println!("\n-- outbound campaign (moto DynamoDB and S3 + the Connect emulator's outbound queue) --");
    let rig = CampaignRig::start().await?;
    rig.add_pending(&CUSTOMERS).await?;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(1));
    let masked: Vec<String> = CUSTOMERS.iter().map(|n| mask(n)).collect();
    println!("   campaign {CAMPAIGN}: {} pending (-1); 1 agent available; POLL_SECONDS=0.2", masked.join(", "));

    // Calling hours that are not now (tomorrow only, in Tokyo): the run places nothing.
    let tokyo = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Tokyo);
    let tomorrow =
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][tokyo.weekday().succ().num_days_from_monday() as usize];
    let hours = format!("{tomorrow} 00:00-24:00");
    let mut closed = rig.spawn(CAMPAIGN_DIALER, &[("CALLING_HOURS", &hours)], Duration::from_secs(10)).await?;
    let summary = closed.invoke(&json!({"source": "aws.events"})).await?.response()?;
    println!(
        "   CALLING_HOURS=\"{hours}\": campaign-dialer -> stopped={} ({}), calls placed: {}",
        summary["stopped"].as_str().unwrap_or_default(),
        summary["detail"].as_str().unwrap_or_default(),
        rig.connect.outbound_calls().len()
    );

    println!("   CALLING_HOURS=\"Mon-Sun 00:00-24:00\" (every hour, for the demo):");
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &[("POLL_SECONDS", "0.2")], Duration::from_secs(60)).await?;
    let mut recorder = rig.spawn(IVR_CHOICE_RECORDER, &[], Duration::from_secs(3)).await?;
    dialer.ready().await?;
    let started = Instant::now();
    let run = tokio::spawn(async move {
        let summary = dialer.invoke(&json!({"source": "aws.events"})).await?.response()?;
        anyhow::Ok((summary, dialer))
    });
    let first = placed(&rig, started, 1).await?;
    let polls = rig.connect.requests(GET_CURRENT_METRIC_DATA);
    tokio::time::sleep(Duration::from_millis(600)).await;
    println!(
        "            600 ms later: still {} call(s); the dialer asked for AGENTS_AVAILABLE {} more times",
        rig.connect.outbound_calls().len(),
        rig.connect.requests(GET_CURRENT_METRIC_DATA) - polls
    );
    choose(&mut recorder, &first, "1").await?;
    rig.connect.connect_contact(&first.contact_id, "agent-1");
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(0));
    println!("            put through to the agent; nobody else is free");
    tokio::time::sleep(Duration::from_millis(400)).await;
    rig.connect.end_contact(&first.contact_id);
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(1));
    println!("   {:>5} ms  the agent finishes the call and is free again", started.elapsed().as_millis());
    let second = placed(&rig, started, 2).await?;
    rig.connect.end_contact(&second.contact_id);
    println!("            nobody answers; the call ends");
    let third = placed(&rig, started, 3).await?;
    choose(&mut recorder, &third, "3").await?;
    rig.connect.end_contact(&third.contact_id);
    let fourth = placed(&rig, started, 4).await?;
    choose(&mut recorder, &fourth, "9").await?;
    rig.connect.end_contact(&fourth.contact_id);

    let (summary, mut dialer) = run.await??;
    println!(
        "   campaign-dialer -> dialed={} stopped={} noAnswer={} retriesScheduled={}",
        summary["dialed"],
        summary["stopped"].as_str().unwrap_or_default(),
        summary["noAnswer"],
        summary["retriesScheduled"]
    );
    let rows = |rig: &CampaignRig| {
        let rig = rig.conf.clone();
        async move {
            let mut rows = Vec::new();
            for (number, shown) in CUSTOMERS.iter().zip(CUSTOMERS.iter().map(|n| mask(n))) {
                let row = local_run::aws::item_by_number(&rig, local_run::campaign::CUSTOMERS_TABLE, number).await?;
                let status = row.and_then(|r| r.get(CAMPAIGN).cloned()).unwrap_or_default();
                rows.push(format!("{shown}={status}"));
            }
            anyhow::Ok(rows.join(", "))
        }
    };
    println!("   rows now: {} (1 talk now, -2 no answer, 3 email, 9 opted out)", rows(&rig).await?);

    // An hour later (RETRY_AFTER_MINUTES=60): the customer who did not answer is tried again.
    rig.age_row(CUSTOMERS[1], chrono::TimeDelta::minutes(61)).await?;
    let started = Instant::now();
    let retry = tokio::spawn(async move {
        let summary = dialer.invoke(&json!({"source": "aws.events"})).await?.response()?;
        anyhow::Ok((summary, dialer))
    });
    println!("   an hour later, the next scheduled run:");
    let again = placed(&rig, started, 5).await?;
    choose(&mut recorder, &again, "2").await?;
    rig.connect.end_contact(&again.contact_id);
    let (summary, mut dialer) = retry.await??;
    println!("   campaign-dialer -> dialed={} (attempt 2 of MAX_ATTEMPTS=3)", summary["dialed"]);

    // The operator loads the list again: the customer who pressed 9 stays off it.
    rig.add_pending(&CUSTOMERS).await?;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(10));
    let summary = dialer.invoke(&json!({"source": "aws.events"})).await?.response()?;
    println!(
        "   the list is loaded again (PutItem): campaign-dialer -> dialed={} optedOut={} ({} stays off: DO_NOT_CALL list)",
        summary["dialed"], summary["optedOut"], masked[3]
    );
    let logs: Vec<String> = dialer.logs().into_iter().chain(recorder.logs()).collect();
    let full = logs.iter().filter(|l| CUSTOMERS.iter().any(|n| l.contains(n))).count();
    println!("   log lines: {}, with a customer's full number: {full}", logs.len());
    let mut lines = closed.metric_lines().await?;
    lines.extend(dialer.metric_lines().await?);
    lines.extend(recorder.metric_lines().await?);
    Ok(lines)
}

/// Waits for the n-th outbound call (1-based) and shows when it was placed.
async fn placed(rig: &CampaignRig, started: Instant, n: usize) -> anyhow::Result<OutboundCall> {
    loop {
        if let Some(call) = rig.connect.outbound_calls().get(n - 1) {
            println!("   {:>5} ms  call {n} placed to {}", started.elapsed().as_millis(), mask(&call.destination));
            return Ok(call.clone());
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(20), "call {n} was never placed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The customer of `call` presses `input`; the outbound flow asks ivr-choice-recorder.
async fn choose(recorder: &mut LambdaProcess, call: &OutboundCall, input: &str) -> anyhow::Result<()> {
    let answer = recorder.invoke(&answer_event(call, input)).await?.response()?;
    let text = |k: &str| answer[k].as_str().unwrap_or_default().to_owned();
    println!(
        "            customer presses {input:<7} -> ivr-choice-recorder outcome={} recorded={} disconnect={}",
        text("outcome"),
        text("recorded"),
        text("disconnect")
    );
    println!("            and hears {}", text("message"));
    Ok(())
}

async fn fetch(fetcher: &mut LambdaProcess, rig: &HolidayRig, what: &str) -> anyhow::Result<()> {
    match fetcher.invoke(&json!({"source": "aws.events", "detail-type": "Scheduled Event"})).await? {
        Outcome::Response(summary) => println!(
            "   {what}: {} ({} holidays; added {}, removed {})",
            summary["status"].as_str().unwrap_or_default(),
            summary["holidayCount"],
            summary["added"].as_array().map(Vec::len).unwrap_or_default(),
            summary["removed"].as_array().map(Vec::len).unwrap_or_default(),
        ),
        Outcome::Error { error_type, error_message } => {
            println!("   {what}: function error {error_type}: {error_message}")
        }
    }
    for notice in rig.inbox.drain().await? {
        println!("      SNS notice: {}", notice.subject);
    }
    Ok(())
}

async fn ask(check: &mut LambdaProcess, params: Value) -> anyhow::Result<Value> {
    let event = json!({
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {"ContactId": "demo-contact", "Channel": "VOICE", "InitiationMethod": "INBOUND"},
            "Parameters": params
        }
    });
    check.invoke(&event).await?.response()
}
