//! campaign-dialer and ivr-choice-recorder as built, run through the Lambda Runtime API against
//! moto (DynamoDB with the to-call index, S3 with the holiday list) and the project's Connect
//! emulator (outbound calls with 7-day client tokens, AGENTS_AVAILABLE, DescribeContact, the
//! model check and the quotas) on loopback.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Datelike, SubsecRound, TimeDelta, Timelike, Utc};
use connect_core::calling_hours::CallingHours;
use local_run::campaign::{
    CAMPAIGN, CAMPAIGN_DIALER, CampaignRig, IVR_CHOICE_RECORDER, OUTBOUND_FLOW, OUTBOUND_QUEUE, SOURCE_NUMBER,
    answer_event,
};
use local_run::connect_emulator::{GET_CURRENT_METRIC_DATA, OutboundCall, Quota, START_OUTBOUND_VOICE_CONTACT};
use local_run::{LambdaProcess, Outcome, emf};
use serde_json::{Value, json};

const CUSTOMERS: [&str; 5] = ["+819011110001", "+819011110002", "+819011110003", "+819011110004", "+819011110005"];

/// Polls the emulator every 10 ms until `n` outbound calls were placed.
async fn calls_placed(rig: &CampaignRig, n: usize) -> anyhow::Result<Vec<OutboundCall>> {
    let started = Instant::now();
    loop {
        let calls = rig.connect.outbound_calls();
        if calls.len() >= n {
            return Ok(calls);
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(10), "{n} calls not placed: {calls:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Runs the dialer once in the background; the test acts as Connect and customers meanwhile.
fn start_run(mut dialer: LambdaProcess) -> tokio::task::JoinHandle<anyhow::Result<(Value, LambdaProcess)>> {
    tokio::spawn(async move {
        let summary = dialer.invoke(&json!({})).await?.response()?;
        Ok((summary, dialer))
    })
}

async fn answer(recorder: &mut LambdaProcess, call: &OutboundCall, input: &str) -> anyhow::Result<Value> {
    recorder.invoke(&answer_event(call, input)).await?.response()
}

/// A run that must end as a function error: its type and message.
async fn failed_run(dialer: &mut LambdaProcess) -> anyhow::Result<(String, String)> {
    match dialer.invoke(&json!({})).await? {
        Outcome::Error { error_type, error_message } => Ok((error_type, error_message)),
        other => anyhow::bail!("expected a function error, got {other:?}"),
    }
}

fn field<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or("<missing>")
}

fn count(value: &Value, key: &str) -> u64 {
    value[key].as_u64().unwrap_or(u64::MAX)
}

/// Lines that hold the national part of any of `numbers` (a mask keeps the prefix and last four).
fn full_numbers_in<'a>(logs: &'a [String], numbers: &[&str]) -> Vec<&'a String> {
    logs.iter().filter(|l| numbers.iter().any(|n| l.contains(&n[3..]))).collect()
}

async fn statuses(rig: &CampaignRig, numbers: &[&str]) -> anyhow::Result<Vec<Option<i64>>> {
    let mut statuses = Vec::new();
    for number in numbers {
        statuses.push(rig.status(number).await?);
    }
    Ok(statuses)
}

#[tokio::test]
async fn a_campaign_is_dialed_at_the_pace_of_free_agents_and_every_answer_recorded() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    rig.add_pending(&CUSTOMERS).await?;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(1));
    let dialer = rig.spawn(CAMPAIGN_DIALER, &[("POLL_SECONDS", "0.1")], Duration::from_secs(30)).await?;
    let mut recorder = rig.spawn(IVR_CHOICE_RECORDER, &[], Duration::from_secs(3)).await?;
    let run = start_run(dialer);

    // one free agent: one call, and no second one while it waits
    let calls = calls_placed(&rig, 1).await?;
    let polls = rig.connect.requests(GET_CURRENT_METRIC_DATA);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rig.connect.outbound_calls().len(), 1, "paced by the one free agent");
    assert!(rig.connect.requests(GET_CURRENT_METRIC_DATA) >= polls + 2, "kept polling");
    let a = &calls[0];
    assert_eq!(
        (a.destination.as_str(), a.contact_flow_id.as_str(), a.queue_id.as_deref()),
        (CUSTOMERS[0], OUTBOUND_FLOW, Some(OUTBOUND_QUEUE))
    );
    assert_eq!(a.source_phone_number.as_deref(), Some(SOURCE_NUMBER));
    let token = a.client_token.clone().unwrap_or_default();
    assert_eq!(token.len(), 36, "a random UUID, no number in it: {token}");
    assert_eq!(a.attributes.get("attempt"), Some(&token), "the recorder gets the attempt's token");
    assert_eq!(a.attributes.get("campaign").map(String::as_str), Some(CAMPAIGN));
    let row = rig.row(CUSTOMERS[0]).await?.unwrap_or_default();
    assert_eq!(row.get(CAMPAIGN).map(String::as_str), Some("-3"), "claimed while dialing");
    assert_eq!(row.get(&format!("{CAMPAIGN}_attempt")), Some(&token), "the token is stored at the claim");

    // a second agent frees a second call
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(2));
    let calls = calls_placed(&rig, 2).await?;
    let b = calls[1].clone();
    assert_ne!(b.client_token, a.client_token);

    // A wants to talk and reaches an agent, who is then busy: B still waits, so no third call
    let talk = answer(&mut recorder, a, "1").await?;
    assert_eq!(
        [field(&talk, "outcome"), field(&talk, "disconnect"), field(&talk, "recorded")],
        ["talk_now", "false", "true"]
    );
    rig.connect.connect_contact(&a.contact_id, "agent-1");
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(1));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rig.connect.outbound_calls().len(), 2);

    // B never answers: its agent is free again and its row says so
    rig.connect.end_contact(&b.contact_id);
    // C: e-mail; D: call back; E (the last one) presses 9. Each ended call frees the next one.
    for (n, input) in [(2, "3"), (3, "2"), (4, "9")] {
        let call = calls_placed(&rig, n + 1).await?[n].clone();
        let answered = answer(&mut recorder, &call, input).await?;
        assert_eq!(field(&answered, "recorded"), "true", "{answered}");
        rig.connect.end_contact(&call.contact_id);
    }
    let calls = rig.connect.outbound_calls();
    let (summary, dialer) = run.await??;
    assert_eq!(
        (count(&summary, "dialed"), count(&summary, "stillDue"), field(&summary, "stopped")),
        (5, 0, "nothing_due"),
        "{summary}"
    );
    assert_eq!((count(&summary, "noAnswer"), count(&summary, "retriesScheduled")), (1, 1), "{summary}");

    assert_eq!(statuses(&rig, &CUSTOMERS).await?, [Some(1), Some(-2), Some(3), Some(2), Some(9)]);
    let row = rig.row(CUSTOMERS[2]).await?.unwrap_or_default();
    assert_eq!(row.get(&format!("{CAMPAIGN}_contactId")), Some(&calls[2].contact_id));
    assert_eq!(row.get(&format!("{CAMPAIGN}_attempts")).map(String::as_str), Some("1"));
    assert!(!row.contains_key("toCall"), "an answered row leaves the to-call index: {row:?}");
    assert_eq!(row.get("name").map(String::as_str), Some("Customer 3"), "the customer's own data stays");
    let unanswered = rig.row(CUSTOMERS[1]).await?.unwrap_or_default();
    assert_eq!(unanswered.get("toCall").map(String::as_str), Some(CAMPAIGN), "no answer is due again later");
    let opted_out = rig.row(CUSTOMERS[4]).await?.unwrap_or_default();
    assert_eq!(opted_out.get("DO_NOT_CALL").map(String::as_str), Some("true"));
    assert!(rig.do_not_call_listed(CUSTOMERS[4]).await?, "on the do-not-call list");
    let mut destinations: Vec<&str> = calls.iter().map(|c| c.destination.as_str()).collect();
    destinations.sort_unstable();
    assert_eq!(destinations, CUSTOMERS, "each customer called once");
    assert_eq!(rig.aws_requests("dynamodb:Scan"), 0, "the dialer reads the index, never the table");
    assert!(rig.aws_requests("dynamodb:Query") >= 1);

    // what the dashboard sees: the run's line, and one line per answer, by campaign
    let run_lines = dialer.metric_lines().await?;
    assert_eq!(run_lines.len(), 1);
    let run_line = &run_lines[0];
    assert_eq!(
        (run_line.function(), run_line.field("Campaign"), run_line.field("Stopped")),
        ("campaign-dialer", Some(CAMPAIGN), Some("nothing_due"))
    );
    let figures =
        ["CallsPlaced", "CallsNoAnswer", "RetriesScheduled", "CallsRefused", "OptedOutSkipped", "RowsPending"];
    assert_eq!(figures.map(|name| run_line.value(name)), [5.0, 1.0, 1.0, 0.0, 0.0, 5.0].map(Some), "{:?}", run_line.0);
    assert_eq!((run_line.value("CampaignRunsFailed"), run_line.value("CampaignStalled")), (Some(0.0), Some(0.0)));
    assert_eq!(run_line.dimensions("CallsPlaced"), [vec!["Function", "Campaign"]]);
    let answer_lines = recorder.metric_lines().await?;
    let answers =
        |outcome: &str| emf::sum(&answer_lines, "CampaignAnswers", &[("Outcome", outcome), ("Campaign", CAMPAIGN)]);
    assert_eq!(["talk_now", "email", "call_back", "opted_out"].map(answers), [1.0; 4]);
    assert_eq!(emf::sum(&answer_lines, "ChoicesNotRecorded", &[]), 0.0);

    let logs: Vec<String> = dialer.logs().into_iter().chain(recorder.logs()).collect();
    assert!(logs.iter().any(|l| l.contains("+81******0003")), "masked numbers are logged");
    assert!(full_numbers_in(&logs, &CUSTOMERS).is_empty(), "{:#?}", full_numbers_in(&logs, &CUSTOMERS));
    Ok(())
}

#[tokio::test]
async fn two_dialer_runs_over_one_list_never_call_a_customer_twice() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    let numbers: Vec<String> = (0..12).map(|i| format!("+8190222200{i:02}")).collect();
    let refs: Vec<&str> = numbers.iter().map(String::as_str).collect();
    rig.add_pending(&refs).await?;
    // nobody free at first, so both runs read the whole list as due before either dials
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(0));
    // Two runs at once each pace to Connect's 2 calls/s, together twice the account's quota; the
    // stack prevents that (reserved concurrency 1). This scene is about claims, so the account here
    // has a raised StartOutboundVoiceContact quota.
    rig.connect.set_quota(START_OUTBOUND_VOICE_CONTACT, Some(Quota::new(10.0, 20.0)));
    let env = [("POLL_SECONDS", "0.1")];
    let one = start_run(rig.spawn(CAMPAIGN_DIALER, &env, Duration::from_secs(30)).await?);
    let two = start_run(rig.spawn(CAMPAIGN_DIALER, &env, Duration::from_secs(30)).await?);
    tokio::time::sleep(Duration::from_millis(600)).await;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(50));
    let ((one, _), (two, _)) = (one.await??, two.await??);

    let calls = rig.connect.outbound_calls();
    let mut called: Vec<&str> = calls.iter().map(|c| c.destination.as_str()).collect();
    called.sort_unstable();
    assert_eq!(called, refs, "every customer once");
    assert_eq!(count(&one, "dialed") + count(&two, "dialed"), 12);
    assert_eq!(
        count(&one, "claimedElsewhere") + count(&two, "claimedElsewhere"),
        12,
        "each row was lost by exactly one run: {one} {two}"
    );
    assert_eq!(rig.connect.requests(START_OUTBOUND_VOICE_CONTACT), 12);
    Ok(())
}

#[tokio::test]
async fn a_list_reloaded_within_the_week_is_really_dialed() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    rig.add_pending(&CUSTOMERS[..2]).await?;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(10));
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &[("POLL_SECONDS", "0.1")], Duration::from_secs(10)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!(count(&summary, "dialed"), 2, "{summary}");
    for call in rig.connect.outbound_calls() {
        rig.connect.end_contact(&call.contact_id);
    }

    // The operator loads the list again the same day (PutItem: the counter and token are gone).
    // Connect keeps tokens for 7 days, so a token made from the row would return the old, ended
    // calls and ring nobody.
    rig.connect.advance_clock(TimeDelta::days(6));
    rig.add_pending(&CUSTOMERS[..2]).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!(count(&summary, "dialed"), 2, "{summary}");
    let calls = rig.connect.outbound_calls();
    assert_eq!(calls.len(), 4, "both customers rang again: {calls:?}");
    let mut tokens: Vec<_> = calls.iter().filter_map(|c| c.client_token.clone()).collect();
    tokens.sort();
    tokens.dedup();
    assert_eq!(tokens.len(), 4, "a token per attempt");
    Ok(())
}

#[tokio::test]
async fn a_lost_answer_from_connect_loses_no_customer_answer_and_places_no_second_call() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    rig.add_pending(&CUSTOMERS[..2]).await?;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(10));
    let mut recorder = rig.spawn(IVR_CHOICE_RECORDER, &[], Duration::from_secs(3)).await?;
    // This scene is about lost answers, not the quota: the retries of two lost calls within
    // seconds would otherwise drain the 2/s bucket, and what the last retry meets (a lost answer
    // or a throttle) would depend on the machine's speed. The throttle has its own scene below.
    rig.connect.set_quota(START_OUTBOUND_VOICE_CONTACT, Some(Quota::new(100.0, 100.0)));
    // Connect places A's call, but every answer (the SDK's retries re-send the same token) is lost.
    let attempts = connect_aws::bootstrap::BACKGROUND_ATTEMPTS as usize;
    rig.connect.lose_answers(START_OUTBOUND_VOICE_CONTACT, 500, "InternalServiceException", attempts);
    // (10 s: the SDK's five attempts with back-off fit well inside the run)
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &[("POLL_SECONDS", "0.1")], Duration::from_secs(10)).await?;
    let (error_type, message) = failed_run(&mut dialer).await?;
    assert_eq!(error_type, "OutboundCallUncertain", "{message}");
    assert!(message.contains("stays claimed"), "{message}");
    let calls = rig.connect.outbound_calls();
    assert_eq!(calls.len(), 1, "one call placed, the rest of the run stopped");
    assert_eq!(rig.connect.requests(START_OUTBOUND_VOICE_CONTACT), attempts);
    let row = rig.row(CUSTOMERS[0]).await?.unwrap_or_default();
    assert_eq!(row.get(CAMPAIGN).map(String::as_str), Some("-3"), "left claimed with its token: {row:?}");
    assert!(!row.contains_key(&format!("{CAMPAIGN}_contactId")), "the dialer never learned the contact");

    // The customer answers that call anyway: the answer belongs to the row's attempt.
    let answered = answer(&mut recorder, &calls[0], "2").await?;
    assert_eq!(field(&answered, "recorded"), "true", "{answered}");

    // The next run: A is answered (out of the index), B is dialed, A is not called again.
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((count(&summary, "dialed"), count(&summary, "lostAnswers")), (1, 0), "{summary}");
    assert_eq!(statuses(&rig, &CUSTOMERS[..2]).await?, [Some(2), Some(-3)]);
    assert_eq!(rig.connect.outbound_calls().len(), 2);

    // Lost again, for C's call, and C does not answer. Re-sending C's token after the call ended
    // would ring C again (the emulator starts a new call for it, the cautious reading): the next
    // run counts the attempt as unanswered, due after the retry wait, and sends nothing.
    rig.add_pending(&CUSTOMERS[2..3]).await?;
    rig.connect.lose_answers(START_OUTBOUND_VOICE_CONTACT, 500, "InternalServiceException", attempts);
    let (error_type, message) = failed_run(&mut dialer).await?;
    // (A run that fails for another reason, such as a table slow to answer on a loaded machine,
    // never dials C: say so here rather than in the resend count below.)
    assert_eq!(error_type, "OutboundCallUncertain", "{message}");
    let lost = rig.connect.outbound_calls().last().cloned().ok_or_else(|| anyhow::anyhow!("no call"))?;
    assert_eq!(lost.destination, CUSTOMERS[2], "the lost call is C's");
    rig.connect.end_contact(&lost.contact_id);
    // once the failed run's hold (its 10 s) is over
    rig.age_row(&lost.destination, TimeDelta::seconds(15)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((count(&summary, "lostAnswers"), count(&summary, "dialed")), (1, 0), "{summary}");
    let row = rig.row(&lost.destination).await?.unwrap_or_default();
    assert_eq!(row.get(CAMPAIGN).map(String::as_str), Some("-2"), "unanswered: {row:?}");
    assert!(
        row.get("toCall").is_some_and(|c| c == CAMPAIGN) && row.contains_key("toCallAt"),
        "due again after the wait: {row:?}"
    );
    assert_eq!(rig.connect.outbound_calls().len(), 3, "three customers, three calls");
    Ok(())
}

/// GIVEN Connect places the call but its answer is lost, and the SDK's retries of that request
/// (the same token) are then throttled; THEN the run fails `OutboundCallUncertain` with the row
/// claimed, not `OutboundCallQuotaExceeded` with the row pending again, and the next run counts
/// the attempt as unanswered without re-sending it: the customer is rung once.
#[tokio::test]
async fn a_throttle_after_a_lost_answer_is_uncertain_and_rings_nobody_twice() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    rig.add_pending(&CUSTOMERS[..1]).await?;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(10));
    let attempts = connect_aws::bootstrap::BACKGROUND_ATTEMPTS as usize;
    // The throttles are the faults below, whatever the machine's speed: the real bucket stays out.
    rig.connect.set_quota(START_OUTBOUND_VOICE_CONTACT, Some(Quota::new(100.0, 100.0)));
    // the first attempt places the call and its answer is lost; every retry is throttled
    rig.connect.lose_answers(START_OUTBOUND_VOICE_CONTACT, 500, "InternalServiceException", 1);
    rig.connect.fail_next(START_OUTBOUND_VOICE_CONTACT, 429, "LimitExceededException", attempts - 1);
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &[("POLL_SECONDS", "0.1")], Duration::from_secs(10)).await?;
    let (error_type, message) = failed_run(&mut dialer).await?;
    assert_eq!(error_type, "OutboundCallUncertain", "{message}");
    assert!(message.contains("answer was lost") && message.contains("throttled"), "{message}");
    assert_eq!(rig.connect.requests(START_OUTBOUND_VOICE_CONTACT), attempts);
    let placed = rig.connect.outbound_calls();
    assert_eq!(placed.len(), 1);
    let row = rig.row(CUSTOMERS[0]).await?.unwrap_or_default();
    assert_eq!(row.get(CAMPAIGN).map(String::as_str), Some("-3"), "left claimed with its token: {row:?}");
    assert_eq!(row.get(&format!("{CAMPAIGN}_attempt")), placed[0].client_token.as_ref());

    // once the failed run's hold is over, the next run counts the attempt as unanswered and
    // sends nothing: the customer is rung once
    rig.age_row(CUSTOMERS[0], TimeDelta::seconds(15)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((count(&summary, "lostAnswers"), count(&summary, "dialed")), (1, 0), "{summary}");
    assert_eq!(rig.connect.outbound_calls().len(), 1, "rung once");
    assert_eq!(rig.connect.requests(START_OUTBOUND_VOICE_CONTACT), attempts, "the token not sent again");
    let row = rig.row(CUSTOMERS[0]).await?.unwrap_or_default();
    assert_eq!(row.get(CAMPAIGN).map(String::as_str), Some("-2"), "unanswered: {row:?}");
    Ok(())
}

#[tokio::test]
async fn a_refusal_that_is_not_the_customers_leaves_every_row_untouched_and_fails_the_run() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    rig.add_pending(&CUSTOMERS[..3]).await?;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(10));
    let mut before = Vec::new();
    for number in &CUSTOMERS[..3] {
        before.push(rig.row(number).await?);
    }
    // Connect's generic validation error (a wrong source number or flow raises it too)
    rig.connect.fail_next(START_OUTBOUND_VOICE_CONTACT, 400, "InvalidParameterException", 1);
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &[("POLL_SECONDS", "0.1")], Duration::from_secs(10)).await?;
    let (error_type, message) = failed_run(&mut dialer).await?;
    assert_eq!(error_type, "OutboundCallMisconfigured", "{message}");
    assert!(message.contains("InvalidParameterException"), "{message}");
    let mut after = Vec::new();
    for number in &CUSTOMERS[..3] {
        after.push(rig.row(number).await?);
    }
    assert_eq!(after, before, "every row as it was");
    assert!(rig.connect.outbound_calls().is_empty());

    // fixed, the next run dials everybody
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!(count(&summary, "dialed"), 3, "{summary}");
    // the failed run is on the dashboard as failed, by its errorType; the next one is not
    let lines = dialer.metric_lines().await?;
    let runs: Vec<(Option<&str>, Option<f64>)> =
        lines.iter().map(|l| (l.field("Stopped"), l.value("CampaignRunsFailed"))).collect();
    assert_eq!(runs, [(Some("OutboundCallMisconfigured"), Some(1.0)), (Some("nothing_due"), Some(0.0))]);
    Ok(())
}

#[tokio::test]
async fn the_dialer_stops_before_its_deadline_and_marks_only_numbers_connect_will_not_dial() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    rig.add_pending(&CUSTOMERS[..3]).await?;
    rig.add_pending(&["03-1111-2222", "+19005550100"]).await?;
    let env = [("POLL_SECONDS", "0.1")];

    // nobody free: the run waits, then answers a quarter of its 2 s before the deadline
    rig.connect.set_agents_available(OUTBOUND_QUEUE, None);
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &env, Duration::from_secs(2)).await?;
    dialer.ready().await?;
    let started = Instant::now();
    let summary = dialer.invoke(&json!({})).await?.response()?;
    let took = started.elapsed();
    assert_eq!((field(&summary, "stopped"), count(&summary, "dialed")), ("deadline", 0), "{summary}");
    assert_eq!(count(&summary, "stillDue"), 5);
    assert!(took >= Duration::from_millis(1400) && took < Duration::from_secs(2), "answered after {took:?}");
    assert!(rig.connect.outbound_calls().is_empty());

    // agents free: a malformed number is never sent, a refused destination is marked
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(10));
    rig.connect.deny_destination_prefix("+1900");
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &env, Duration::from_secs(10)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((count(&summary, "dialed"), count(&summary, "invalidNumbers")), (3, 2), "{summary}");
    assert_eq!(field(&summary, "stopped"), "nothing_due");
    assert_eq!(statuses(&rig, &["03-1111-2222", "+19005550100"]).await?, [Some(-4), Some(-4)]);
    let mut reasons = Vec::new();
    for number in ["03-1111-2222", "+19005550100"] {
        reasons.push(rig.row(number).await?.and_then(|row| row.get(&format!("{CAMPAIGN}_reason")).cloned()));
    }
    assert_eq!(
        reasons,
        [
            Some("not an E.164 number".to_owned()),
            Some("Connect refused the destination (DestinationNotAllowedException)".to_owned())
        ]
    );
    assert_eq!(rig.connect.outbound_calls().len(), 3, "the malformed number never reached Connect");
    // Connect's refusal quotes the number; the dialer's logs mask it
    let logs = dialer.logs();
    assert!(logs.iter().any(|l| l.contains("+19*****0100")), "the refusal is logged, masked");
    assert!(full_numbers_in(&logs, &["+19005550100"]).is_empty(), "{:#?}", full_numbers_in(&logs, &["+19005550100"]));

    // a table that cannot be read fails the run loudly (an alarm), having dialed nobody
    let mut broken =
        rig.spawn(CAMPAIGN_DIALER, &[("CUSTOMERS_TABLE", "no-such-table")], Duration::from_secs(5)).await?;
    let (error_type, message) = failed_run(&mut broken).await?;
    assert_eq!(error_type, "CampaignTableUnavailable");
    assert!(message.contains("Query on table no-such-table"), "{message}");
    Ok(())
}

/// `Mon`..`Sun` for a chrono weekday.
fn day_name(day: chrono::Weekday) -> &'static str {
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][day.num_days_from_monday() as usize]
}

#[tokio::test]
async fn no_call_outside_calling_hours_on_a_holiday_or_without_the_holiday_list() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    rig.add_pending(&CUSTOMERS[..1]).await?;
    rig.add_pending_with(CUSTOMERS[1], "In New York", &[("timeZone", AttributeValue::S("America/New_York".into()))])
        .await?;
    rig.add_pending_with(CUSTOMERS[2], "On Mars", &[("timeZone", AttributeValue::S("Mars/Base".into()))]).await?;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(10));
    let tokyo = Utc::now().with_timezone(&chrono_tz::Asia::Tokyo);

    // the center's hours are tomorrow only: no call, nothing read
    let tomorrow = format!("{} 00:00-24:00", day_name(tokyo.weekday().succ()));
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &[("CALLING_HOURS", &tomorrow)], Duration::from_secs(5)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((field(&summary, "stopped"), count(&summary, "rowsRead")), ("outside_calling_hours", 0), "{summary}");
    assert_eq!(rig.aws_requests("dynamodb:Query"), 0);

    // today in the stored holiday list: no call
    let today = tokyo.date_naive().to_string();
    rig.set_holidays(&[(&today, "臨時休業")]).await?;
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &[], Duration::from_secs(5)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!(field(&summary, "stopped"), "holiday", "{summary}");
    assert!(field(&summary, "detail").contains("臨時休業"), "{summary}");

    // no list, or a list that is not one: no call, and the summary says why
    rig.delete_holidays().await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!(field(&summary, "stopped"), "no_holiday_list", "{summary}");
    assert!(field(&summary, "detail").contains("missing"), "{summary}");
    assert!(rig.connect.outbound_calls().is_empty());

    // open hours in Tokyo around now: the Tokyo customer is called, the New York one is not
    // (New York is 13 or 14 hours behind: another hour, or another day)
    rig.set_holidays(&[]).await?;
    let (from, to) = (tokyo.hour().saturating_sub(1), (tokyo.hour() + 2).min(24));
    let hours = format!("{} {from:02}:00-{to:02}:00", day_name(tokyo.weekday()));
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &[("CALLING_HOURS", &hours)], Duration::from_secs(10)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!(
        [count(&summary, "dialed"), count(&summary, "outsideTheirHours"), count(&summary, "unknownTimeZone")],
        [1, 1, 1],
        "{hours}: {summary}"
    );
    let called: Vec<String> = rig.connect.outbound_calls().into_iter().map(|c| c.destination).collect();
    assert_eq!(called, [CUSTOMERS[0]]);
    // New York: still pending, due when the same hours open there (that weekday, `from` o'clock)
    let row = rig.row(CUSTOMERS[1]).await?.unwrap_or_default();
    assert_eq!(row.get(CAMPAIGN).map(String::as_str), Some("-1"), "not dialed: {row:?}");
    let due = row.get("toCallAt").and_then(|t| t.parse::<chrono::DateTime<Utc>>().ok());
    let new_york = chrono_tz::America::New_York;
    let opens = hours.parse::<CallingHours>()?.next_open(Utc::now(), new_york);
    assert!(due.is_some_and(|t| t > Utc::now()) && due == opens, "moved to {opens:?}: {row:?}");
    assert_eq!(due.map(|t| t.with_timezone(&new_york).weekday()), Some(tokyo.weekday()), "{row:?}");
    // Mars: ended with the reason, out of the index
    let row = rig.row(CUSTOMERS[2]).await?.unwrap_or_default();
    assert_eq!(row.get(CAMPAIGN).map(String::as_str), Some("-4"), "{row:?}");
    assert_eq!(row.get(&format!("{CAMPAIGN}_reason")).map(String::as_str), Some("unknown time zone: Mars/Base"));
    assert!(!row.contains_key("toCall"), "{row:?}");
    // so the next run reads neither of them again
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((count(&summary, "rowsRead"), summary["stalled"].as_bool()), (0, Some(false)), "{summary}");
    Ok(())
}

#[tokio::test]
async fn no_answer_is_retried_after_the_wait_and_no_more_often_than_allowed() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    rig.add_pending(&CUSTOMERS[..1]).await?;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(1));
    let env = [("POLL_SECONDS", "0.1"), ("RETRY_AFTER_MINUTES", "30"), ("MAX_ATTEMPTS", "2")];
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &env, Duration::from_secs(5)).await?;
    let number = CUSTOMERS[0];

    let ring_out = |rig: &CampaignRig| {
        if let Some(call) = rig.connect.outbound_calls().last() {
            rig.connect.end_contact(&call.contact_id);
        }
    };
    assert_eq!(count(&dialer.invoke(&json!({})).await?.response()?, "dialed"), 1);
    ring_out(&rig);
    // the call ended unanswered: the next run settles it (the first run's hold is over by now)
    rig.age_row(number, TimeDelta::seconds(10)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((count(&summary, "noAnswer"), count(&summary, "retriesScheduled")), (1, 1), "{summary}");
    assert_eq!(rig.status(number).await?, Some(-2));

    // ten minutes later: not yet
    rig.age_row(number, TimeDelta::minutes(10)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((count(&summary, "dialed"), count(&summary, "rowsRead")), (0, 0), "{summary}");
    // half an hour after the no answer: the second attempt, with a new token
    rig.age_row(number, TimeDelta::minutes(21)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!(count(&summary, "dialed"), 1, "{summary}");
    let calls = rig.connect.outbound_calls();
    assert_eq!(calls.len(), 2);
    assert_ne!(calls[0].client_token, calls[1].client_token);
    ring_out(&rig);
    rig.age_row(number, TimeDelta::seconds(10)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((count(&summary, "noAnswer"), count(&summary, "retriesScheduled")), (1, 0), "the last attempt");
    let row = rig.row(number).await?.unwrap_or_default();
    assert_eq!(row.get(&format!("{CAMPAIGN}_attempts")).map(String::as_str), Some("2"));
    assert!(!row.contains_key("toCall"), "final: out of the to-call index: {row:?}");

    // a day later, still no third call
    rig.age_row(number, TimeDelta::days(1)).await?;
    dialer.invoke(&json!({})).await?.response()?;
    assert_eq!(rig.connect.outbound_calls().len(), 2, "MAX_ATTEMPTS=2");
    Ok(())
}

/// GIVEN a customer who pressed 1 and whose transfer to the queue then failed; THEN the flow's
/// second call to the recorder puts the row back as a no answer, due after RETRY_AFTER_MINUTES,
/// and the dialer calls again then (a new attempt). GIVEN a customer who presses 9 while the
/// customers table cannot be written; THEN they are not told they will not be called again,
/// and the row stays callable.
#[tokio::test]
async fn a_failed_transfer_is_called_again_and_an_unrecorded_nine_is_not_confirmed() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    rig.add_pending(&CUSTOMERS[..1]).await?;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(10));
    let number = CUSTOMERS[0];
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &[("POLL_SECONDS", "0.1")], Duration::from_secs(5)).await?;
    let mut recorder = rig.spawn(IVR_CHOICE_RECORDER, &[], Duration::from_secs(3)).await?;
    assert_eq!(count(&dialer.invoke(&json!({})).await?.response()?, "dialed"), 1);
    let first = rig.connect.outbound_calls()[0].clone();

    // 1, recorded: out of the index; then set-campaign-queue or the transfer fails
    let talk = answer(&mut recorder, &first, "1").await?;
    assert_eq!([field(&talk, "outcome"), field(&talk, "recorded")], ["talk_now", "true"]);
    assert!(!rig.row(number).await?.unwrap_or_default().contains_key("toCall"));
    let mut failed = answer_event(&first, "1");
    failed["Details"]["Parameters"]["transferFailed"] = json!("true");
    // (times are stored to the millisecond)
    let before = Utc::now().trunc_subsecs(3);
    let apology = recorder.invoke(&failed).await?.response()?;
    assert_eq!(
        [field(&apology, "outcome"), field(&apology, "recorded"), field(&apology, "disconnect")],
        ["transfer_failed", "true", "true"]
    );
    assert!(field(&apology, "message").contains("改めてお電話"), "{apology}");
    let row = rig.row(number).await?.unwrap_or_default();
    assert_eq!(row.get(CAMPAIGN).map(String::as_str), Some("-2"), "a no answer again: {row:?}");
    assert_eq!(row.get("toCall").map(String::as_str), Some(CAMPAIGN), "back in the index: {row:?}");
    let due = row.get("toCallAt").and_then(|t| t.parse::<chrono::DateTime<Utc>>().ok()).unwrap_or_default();
    assert!(due >= before + TimeDelta::minutes(60) && due <= Utc::now() + TimeDelta::minutes(60), "{row:?}");
    rig.connect.end_contact(&first.contact_id);

    // not before the wait; after it, a second attempt with a token of its own
    assert_eq!(count(&dialer.invoke(&json!({})).await?.response()?, "rowsRead"), 0);
    rig.age_row(number, TimeDelta::minutes(61)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!(count(&summary, "dialed"), 1, "{summary}");
    let second = rig.connect.outbound_calls()[1].clone();
    assert_ne!(second.client_token, first.client_token);
    let row = rig.row(number).await?.unwrap_or_default();
    assert_eq!(row.get(&format!("{CAMPAIGN}_attempts")).map(String::as_str), Some("2"), "counted: {row:?}");

    // 9, but the customers table cannot be written: no promise, and the row is still to call
    let mut unwritable =
        rig.spawn(IVR_CHOICE_RECORDER, &[("CUSTOMERS_TABLE", "no-such-table")], Duration::from_secs(3)).await?;
    let nine = answer(&mut unwritable, &second, "9").await?;
    assert_eq!([field(&nine, "recorded"), field(&nine, "error")], ["false", "choice not recorded"]);
    assert!(!field(&nine, "message").contains("お電話することはございません"), "{nine}");
    assert!(field(&nine, "message").contains("記録できませんでした"), "{nine}");
    assert_eq!(rig.status(number).await?, Some(-3), "not final: the dialer settles it");
    let lines = unwritable.metric_lines().await?;
    assert_eq!(lines.iter().filter_map(|l| l.value("ChoicesNotRecorded")).sum::<f64>(), 1.0);
    Ok(())
}

#[tokio::test]
async fn an_opted_out_number_is_never_dialed_again_even_after_a_reload() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    rig.add_pending(&CUSTOMERS[..2]).await?;
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(10));
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &[("POLL_SECONDS", "0.1")], Duration::from_secs(10)).await?;
    let mut recorder = rig.spawn(IVR_CHOICE_RECORDER, &[], Duration::from_secs(3)).await?;
    dialer.invoke(&json!({})).await?.response()?;
    let calls = rig.connect.outbound_calls();
    let opted = calls.iter().find(|c| c.destination == CUSTOMERS[0]).cloned().ok_or_else(|| anyhow::anyhow!("A"))?;
    let answered = answer(&mut recorder, &opted, "9").await?;
    assert_eq!([field(&answered, "outcome"), field(&answered, "recorded")], ["opted_out", "true"]);
    assert!(field(&answered, "message").contains("今後"), "{answered}");
    for call in &calls {
        rig.connect.end_contact(&call.contact_id);
    }

    // the list is loaded again (PutItem replaces the rows, DO_NOT_CALL and all)
    rig.add_pending(&CUSTOMERS[..2]).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((count(&summary, "dialed"), count(&summary, "optedOut")), (1, 1), "{summary}");
    let called: Vec<String> = rig.connect.outbound_calls().into_iter().map(|c| c.destination).collect();
    assert_eq!(called.iter().filter(|n| *n == CUSTOMERS[0]).count(), 1, "A once, before the 9");
    assert_eq!(rig.status(CUSTOMERS[0]).await?, Some(9));
    Ok(())
}

/// A call as the dialer would have placed it: `dialed_at` is its `dialedAt` attribute.
fn placed(contact_id: &str, number: &str, dialed_at: &str) -> OutboundCall {
    OutboundCall {
        contact_id: contact_id.to_owned(),
        instance_id: String::new(),
        destination: number.to_owned(),
        contact_flow_id: OUTBOUND_FLOW.to_owned(),
        queue_id: Some(OUTBOUND_QUEUE.to_owned()),
        source_phone_number: Some(SOURCE_NUMBER.to_owned()),
        client_token: None,
        attributes: HashMap::from([
            ("campaign".to_owned(), CAMPAIGN.to_owned()),
            ("dialedAt".to_owned(), dialed_at.to_owned()),
        ]),
    }
}

#[tokio::test]
async fn answers_are_recorded_once_per_row_and_never_overwritten_by_an_earlier_contact() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    rig.add_pending(&CUSTOMERS).await?;
    let mut recorders = Vec::new();
    for _ in 0..3 {
        recorders.push(rig.spawn(IVR_CHOICE_RECORDER, &[], Duration::from_secs(3)).await?);
    }
    let now = Utc::now();
    let earlier = (now - TimeDelta::minutes(5)).to_rfc3339();

    // every outcome, with three recorders answering five customers at once
    let inputs = ["1", "2", "3", "Timeout", "7"];
    let events: Vec<Value> = CUSTOMERS
        .iter()
        .zip(inputs)
        .enumerate()
        .map(|(i, (number, input))| answer_event(&placed(&format!("c-{i}"), number, &earlier), input))
        .collect();
    let mut answers = Vec::new();
    for chunk in events.chunks(3) {
        let runs = recorders.iter_mut().zip(chunk).map(|(r, e)| async move { r.invoke(e).await?.response() });
        answers.extend(futures_util::future::try_join_all(runs).await?);
    }
    let got: Vec<[&str; 3]> =
        answers.iter().map(|a| [field(a, "outcome"), field(a, "disconnect"), field(a, "recorded")]).collect();
    assert_eq!(
        got,
        [
            ["talk_now", "false", "true"],
            ["call_back", "true", "true"],
            ["email", "true", "true"],
            ["no_input", "true", "true"],
            ["not_interested", "true", "true"],
        ]
    );
    assert!(
        answers.iter().all(|a| field(a, "message").starts_with("<speak>") && field(a, "message").ends_with("</speak>"))
    );
    assert_eq!(statuses(&rig, &CUSTOMERS).await?, [Some(1), Some(2), Some(3), Some(-2), Some(0)]);

    // a number not in the table is answered but never created
    let stranger = answer(&mut recorders[0], &placed("c-x", "+819099990000", &earlier), "2").await?;
    assert_eq!([field(&stranger, "recorded"), field(&stranger, "error")], ["false", "unknown customer"]);
    assert_eq!(rig.row("+819099990000").await?, None);

    // A contact placed some other way (no attempt token): an answer from a contact placed before
    // the row last changed is refused, the later contact's answer wins whatever the order.
    let customer = CUSTOMERS[1];
    let later = placed("c-9", customer, &(Utc::now() + TimeDelta::seconds(1)).to_rfc3339());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (first, second) = {
        let (r0, rest) = recorders.split_at_mut(1);
        let (e1, e2) = (answer_event(&later, "3"), answer_event(&later, "3"));
        tokio::try_join!(r0[0].invoke(&e1), rest[0].invoke(&e2))?
    };
    assert_eq!([field(&first.response()?, "recorded"), field(&second.response()?, "recorded")], ["true", "true"]);
    let late = answer(&mut recorders[2], &placed("c-1", customer, &earlier), "2").await?;
    assert_eq!(field(&late, "recorded"), "false", "an earlier contact's late retry");
    assert_eq!(rig.status(customer).await?, Some(3));
    assert_eq!(
        rig.row(customer).await?.and_then(|r| r.get(&format!("{CAMPAIGN}_contactId")).cloned()),
        Some("c-9".into())
    );

    let logs: Vec<String> = recorders.iter().flat_map(|r| r.logs()).collect();
    assert!(full_numbers_in(&logs, &CUSTOMERS).is_empty(), "{:#?}", full_numbers_in(&logs, &CUSTOMERS));
    Ok(())
}

#[tokio::test]
async fn bad_configuration_fails_init_with_the_variable_named() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    for (function, env, expected) in [
        (IVR_CHOICE_RECORDER, [("CHOICE_MESSAGES", "{talk_now: hi}")], "CHOICE_MESSAGES"),
        (CAMPAIGN_DIALER, [("CAMPAIGN", "")], "CAMPAIGN"),
        (CAMPAIGN_DIALER, [("POLL_SECONDS", "-1")], "POLL_SECONDS"),
        (CAMPAIGN_DIALER, [("CALLING_HOURS", "9 to 5")], "CALLING_HOURS"),
        (CAMPAIGN_DIALER, [("MAX_ATTEMPTS", "0")], "MAX_ATTEMPTS"),
    ] {
        let mut process = rig.spawn(function, &env, Duration::from_secs(3)).await?;
        match process.init_error().await? {
            Outcome::Error { error_type, error_message } => {
                assert_eq!(error_type, "InvalidConfiguration");
                assert!(error_message.contains(expected), "{function}: {error_message}");
            }
            other => anyhow::bail!("{function}: expected an init error, got {other:?}"),
        }
    }
    Ok(())
}

/// GIVEN `ENGINE=campaigns-v2` and a Running Outbound Campaigns v2 campaign (the emulator checked
/// against botocore's model); THEN due rows are handed to it in one PutOutboundRequestBatch with
/// their attempt tokens and contact attributes, nothing is dialed directly, the customers' answers
/// in the campaign's flow reach ivr-choice-recorder and are recorded on their rows, a request the
/// campaign refuses is kept on its row, and a campaign that is not Running fails the run with no
/// row changed.
#[tokio::test]
async fn an_outbound_campaigns_v2_campaign_dials_the_due_rows_and_the_answers_are_recorded() -> anyhow::Result<()> {
    use local_run::campaigns_emulator::{CampaignsEmulator, PUT_OUTBOUND_REQUEST_BATCH};

    let rig = CampaignRig::start().await?;
    let campaigns = CampaignsEmulator::start().await?;
    campaigns.add_campaign("spring-v2", "Running");
    rig.add_pending(&CUSTOMERS[..3]).await?;
    let endpoint = campaigns.endpoint();
    let env = [
        ("ENGINE", "campaigns-v2"),
        ("OUTBOUND_CAMPAIGN_ID", "spring-v2"),
        ("AWS_ENDPOINT_URL_CONNECTCAMPAIGNSV2", endpoint.as_str()),
    ];
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &env, Duration::from_secs(10)).await?;
    let mut recorder = rig.spawn(IVR_CHOICE_RECORDER, &[], Duration::from_secs(3)).await?;

    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((count(&summary, "dialed"), field(&summary, "stopped")), (3, "nothing_due"), "{summary}");
    assert_eq!(campaigns.received(PUT_OUTBOUND_REQUEST_BATCH), 1, "one batch");
    assert!(rig.connect.outbound_calls().is_empty(), "the campaign dials, not the dialer");
    let requests = campaigns.requests();
    assert_eq!(requests.len(), 3);
    for request in &requests {
        let row = rig.row(&request.destination).await?.unwrap_or_default();
        assert_eq!(row.get(CAMPAIGN).map(String::as_str), Some("-3"), "claimed while the campaign has it");
        assert_eq!(row.get(&format!("{CAMPAIGN}_attempt")), Some(&request.client_token));
        assert_eq!(request.attributes.get("attempt"), Some(&request.client_token));
        assert_eq!(request.attributes.get("campaign").map(String::as_str), Some(CAMPAIGN));
        assert!(request.expiration > Utc::now() + TimeDelta::minutes(55), "expires after an hour");
    }

    // The campaign dials: the first customer asks for an e-mail in the outbound flow.
    let dialed = campaigns.finish_requests(&[requests[0].client_token.clone()]);
    let call = OutboundCall {
        contact_id: "0c0c0c0c-0000-4000-8000-00000000c2a1".to_owned(),
        instance_id: rig.connect.instance_id().to_owned(),
        destination: dialed[0].destination.clone(),
        contact_flow_id: OUTBOUND_FLOW.to_owned(),
        queue_id: Some(OUTBOUND_QUEUE.to_owned()),
        source_phone_number: Some(SOURCE_NUMBER.to_owned()),
        client_token: None,
        attributes: dialed[0].attributes.clone(),
    };
    let answered = answer(&mut recorder, &call, "3").await?;
    assert_eq!(field(&answered, "recorded"), "true", "{answered}");
    assert_eq!(rig.status(&dialed[0].destination).await?, Some(3), "e-mail, on the row");

    // the same run again: every row is the campaign's (or answered), nothing handed twice
    let again = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!(count(&again, "dialed"), 0, "{again}");
    assert_eq!(campaigns.requests().len(), 2, "the two still pending in the campaign");

    // a paused campaign refuses the batch: the run fails, the new row stays pending
    campaigns.set_state("spring-v2", "Paused");
    rig.add_pending(&CUSTOMERS[3..4]).await?;
    let (error_type, message) = failed_run(&mut dialer).await?;
    assert_eq!(error_type, "OutboundCallMisconfigured", "{message}");
    assert!(message.contains("InvalidCampaignState") || message.contains("Paused"), "{message}");
    assert_eq!(rig.status(CUSTOMERS[3]).await?, Some(-1), "pending, as it was");
    Ok(())
}
