//! campaign-dialer and ivr-choice-recorder as built, run through the Lambda Runtime API against
//! moto (DynamoDB) and the project's Connect emulator (outbound calls, AGENTS_AVAILABLE,
//! DescribeContact) on loopback.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use connect_aws::campaign_table::DynamoCampaignTable;
use connect_core::campaign::Campaign;
use connect_core::ports::CampaignTable;
use local_run::campaign::{
    CAMPAIGN, CAMPAIGN_DIALER, CUSTOMERS_TABLE, CampaignRig, IVR_CHOICE_RECORDER, OUTBOUND_FLOW, OUTBOUND_QUEUE,
    SOURCE_NUMBER, answer_event,
};
use local_run::connect_emulator::{GET_CURRENT_METRIC_DATA, OutboundCall, Quota, START_OUTBOUND_VOICE_CONTACT};
use local_run::{LambdaProcess, Outcome};
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

fn field<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or("<missing>")
}

fn full_numbers_in(logs: &[String]) -> Vec<&String> {
    // the national part of any customer number: its country prefix and last four stay in a mask
    logs.iter().filter(|l| CUSTOMERS.iter().any(|n| l.contains(&n[3..]))).collect()
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
    assert_eq!(a.client_token.as_deref(), Some(format!("{CAMPAIGN}:{}:1", CUSTOMERS[0]).as_str()));
    assert_eq!(a.attributes.get("campaign").map(String::as_str), Some(CAMPAIGN));
    assert!(a.attributes.contains_key("dialedAt"), "{:?}", a.attributes);
    assert_eq!(rig.status(CUSTOMERS[0]).await?, Some(-3), "claimed while dialing");

    // a second agent frees a second call
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(2));
    let calls = calls_placed(&rig, 2).await?;
    let b = calls[1].clone();

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
        (summary["dialed"].as_u64(), summary["stillPending"].as_u64(), field(&summary, "stopped")),
        (Some(5), Some(0), "nothing_pending"),
        "{summary}"
    );
    assert_eq!(summary["noAnswer"], 1, "{summary}");

    let mut statuses = Vec::new();
    for number in CUSTOMERS {
        statuses.push(rig.status(number).await?);
    }
    assert_eq!(statuses, [Some(1), Some(-2), Some(3), Some(2), Some(0)]);
    let row = rig.row(CUSTOMERS[2]).await?.expect("row");
    assert_eq!(row.get(&format!("{CAMPAIGN}_contactId")), Some(&calls[2].contact_id));
    assert_eq!(row.get(&format!("{CAMPAIGN}_calls")).map(String::as_str), Some("1"));
    assert!(row.contains_key(&format!("{CAMPAIGN}_updatedAt")), "{row:?}");
    assert_eq!(row.get("name").map(String::as_str), Some("Customer 3"), "the customer's own data stays");
    let mut destinations: Vec<&str> = calls.iter().map(|c| c.destination.as_str()).collect();
    destinations.sort_unstable();
    assert_eq!(destinations, CUSTOMERS, "each customer called once");

    let logs: Vec<String> = dialer.logs().into_iter().chain(recorder.logs()).collect();
    assert!(logs.iter().any(|l| l.contains("+81******0003")), "masked numbers are logged");
    assert!(full_numbers_in(&logs).is_empty(), "full numbers in logs: {:#?}", full_numbers_in(&logs));
    Ok(())
}

#[tokio::test]
async fn two_dialer_runs_over_one_list_never_call_a_customer_twice() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    let numbers: Vec<String> = (0..12).map(|i| format!("+8190222200{i:02}")).collect();
    let refs: Vec<&str> = numbers.iter().map(String::as_str).collect();
    rig.add_pending(&refs).await?;
    // nobody free at first, so both runs read the whole list as pending before either dials
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
    assert_eq!(one["dialed"].as_u64().unwrap_or(0) + two["dialed"].as_u64().unwrap_or(0), 12);
    assert_eq!(
        one["claimedElsewhere"].as_u64().unwrap_or(0) + two["claimedElsewhere"].as_u64().unwrap_or(0),
        12,
        "each row was lost by exactly one run: {one} {two}"
    );
    assert_eq!(rig.connect.requests(START_OUTBOUND_VOICE_CONTACT), 12);
    Ok(())
}

#[tokio::test]
async fn the_dialer_stops_before_its_deadline_and_handles_bad_numbers_and_failures() -> anyhow::Result<()> {
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
    assert_eq!((field(&summary, "stopped"), summary["dialed"].as_u64()), ("deadline", Some(0)), "{summary}");
    assert_eq!(summary["stillPending"], 5);
    assert!(took >= Duration::from_millis(1400) && took < Duration::from_secs(2), "answered after {took:?}");
    assert!(rig.connect.outbound_calls().is_empty());

    // agents free: a malformed number is never sent, a refused one is marked, the rest dialed
    rig.connect.set_agents_available(OUTBOUND_QUEUE, Some(10));
    rig.connect.deny_destination_prefix("+1900");
    let mut dialer = rig.spawn(CAMPAIGN_DIALER, &env, Duration::from_secs(10)).await?;
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((summary["dialed"].as_u64(), summary["invalidNumbers"].as_u64()), (Some(3), Some(2)), "{summary}");
    assert_eq!((field(&summary, "stopped"), summary["stillPending"].as_u64()), ("nothing_pending", Some(0)));
    assert_eq!(rig.status("03-1111-2222").await?, Some(-4));
    assert_eq!(rig.status("+19005550100").await?, Some(-4));
    assert_eq!(rig.connect.outbound_calls().len(), 3, "the malformed number never reached Connect");

    // a failed call (every attempt: the SDK retries 5xx) puts the row back to pending
    rig.add_pending(&CUSTOMERS[3..4]).await?;
    let attempts = connect_aws::bootstrap::BACKGROUND_ATTEMPTS as usize;
    rig.connect.fail_next(START_OUTBOUND_VOICE_CONTACT, 500, "InternalServiceException", attempts);
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!((summary["dialed"].as_u64(), summary["failed"].as_u64()), (Some(0), Some(1)), "{summary}");
    assert_eq!(summary["stillPending"], 1);
    assert_eq!(rig.status(CUSTOMERS[3]).await?, Some(-1));

    // the next run dials it with the same token as before: no call had been placed
    let summary = dialer.invoke(&json!({})).await?.response()?;
    assert_eq!(summary["dialed"], 1, "{summary}");
    let tokens: Vec<String> = rig.connect.outbound_calls().iter().filter_map(|c| c.client_token.clone()).collect();
    assert_eq!(tokens.len(), 4);
    assert!(tokens.iter().all(|t| t.ends_with(":1")), "{tokens:?}");

    // a table that cannot be read fails the run loudly (an alarm), having dialed nobody
    let mut broken =
        rig.spawn(CAMPAIGN_DIALER, &[("CUSTOMERS_TABLE", "no-such-table")], Duration::from_secs(5)).await?;
    match broken.invoke(&json!({})).await? {
        Outcome::Error { error_type, error_message } => {
            assert_eq!(error_type, "CampaignRowsUnavailable");
            assert!(error_message.contains("Scan on table no-such-table"), "{error_message}");
        }
        other => panic!("expected a function error, got {other:?}"),
    }
    assert!(full_numbers_in(&dialer.logs()).is_empty(), "{:#?}", full_numbers_in(&dialer.logs()));
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
    let now = chrono::Utc::now();
    let earlier = (now - chrono::TimeDelta::minutes(5)).to_rfc3339();

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
    let mut statuses = Vec::new();
    for number in CUSTOMERS {
        statuses.push(rig.status(number).await?);
    }
    assert_eq!(statuses, [Some(1), Some(2), Some(3), Some(-2), Some(0)], "email is 3, not 'later'");

    // a number not in the table is answered but never created
    let stranger = answer(&mut recorders[0], &placed("c-x", "+819099990000", &earlier), "2").await?;
    assert_eq!([field(&stranger, "recorded"), field(&stranger, "error")], ["false", "unknown customer"]);
    assert_eq!(rig.row("+819099990000").await?, None);

    // the operator re-dials customer 2: the dialer claims the row, then contact c-1's retry
    // arrives late, and c-9's answer must win whatever the order
    let customer = CUSTOMERS[1];
    aws_sdk_dynamodb::Client::new(&rig.conf)
        .update_item()
        .table_name(CUSTOMERS_TABLE)
        .key("phoneNumber", AttributeValue::S(customer.to_owned()))
        .update_expression("SET #c = :pending")
        .expression_attribute_names("#c", CAMPAIGN)
        .expression_attribute_values(":pending", AttributeValue::N("-1".into()))
        .send()
        .await?;
    let table = DynamoCampaignTable::from_conf(&rig.conf, CUSTOMERS_TABLE);
    let campaign = Campaign::parse(CAMPAIGN)?;
    assert!(table.claim(&campaign, customer, now).await?);
    let late = answer(&mut recorders[1], &placed("c-1", customer, &earlier), "2").await?;
    assert_eq!(field(&late, "recorded"), "false", "an earlier contact's retry after the claim");
    let redial = placed("c-9", customer, &now.to_rfc3339());
    let (first, second) = {
        let (r0, rest) = recorders.split_at_mut(1);
        let (e1, e2) = (answer_event(&redial, "3"), answer_event(&redial, "3"));
        tokio::try_join!(r0[0].invoke(&e1), rest[0].invoke(&e2))?
    };
    assert_eq!([field(&first.response()?, "recorded"), field(&second.response()?, "recorded")], ["true", "true"]);
    let late_again = answer(&mut recorders[2], &placed("c-1", customer, &earlier), "2").await?;
    assert_eq!(field(&late_again, "recorded"), "false");
    assert_eq!(rig.status(customer).await?, Some(3));
    assert_eq!(
        rig.row(customer).await?.and_then(|r| r.get(&format!("{CAMPAIGN}_contactId")).cloned()),
        Some("c-9".into())
    );

    let logs: Vec<String> = recorders.iter().flat_map(|r| r.logs()).collect();
    assert!(full_numbers_in(&logs).is_empty(), "{:#?}", full_numbers_in(&logs));
    Ok(())
}

#[tokio::test]
async fn bad_configuration_fails_init_with_the_variable_named() -> anyhow::Result<()> {
    let rig = CampaignRig::start().await?;
    for (function, env, expected) in [
        (IVR_CHOICE_RECORDER, [("CHOICE_MESSAGES", "{talk_now: hi}")], "CHOICE_MESSAGES"),
        (CAMPAIGN_DIALER, [("CAMPAIGN", "")], "CAMPAIGN"),
        (CAMPAIGN_DIALER, [("POLL_SECONDS", "-1")], "POLL_SECONDS"),
    ] {
        let mut process = rig.spawn(function, &env, Duration::from_secs(3)).await?;
        match process.init_error().await? {
            Outcome::Error { error_type, error_message } => {
                assert_eq!(error_type, "InvalidConfiguration");
                assert!(error_message.contains(expected), "{function}: {error_message}");
            }
            other => panic!("{function}: expected an init error, got {other:?}"),
        }
    }
    Ok(())
}
