//! holiday-fetcher and holiday-check as built, run through the Lambda Runtime API against moto
//! (S3, SNS, SQS) and a calendar server on loopback.

use std::time::{Duration, Instant};

use connect_aws::s3::S3HolidayStore;
use connect_core::holidays::HolidayDocument;
use connect_core::ports::{HolidayStore, Stored};
use local_run::holidays::{BUCKET, CALENDAR_PATH, HolidayRig, KEY, sample_calendar};
use local_run::{FunctionOptions, LambdaProcess, Outcome, StubResponse, emulator_env, function_binary};
use serde_json::{Value, json};

fn event(function: &str, name: &str) -> anyhow::Result<Value> {
    let path = local_run::workspace_root().join(format!("events/{function}/{name}.json"));
    Ok(serde_json::from_str(&std::fs::read_to_string(path)?)?)
}

fn ask_about(params: Value) -> anyhow::Result<Value> {
    let mut e = event("holiday-check", "voice-now")?;
    e["Details"]["Parameters"] = params;
    Ok(e)
}

#[tokio::test]
async fn fetcher_publishes_once_notifies_and_refuses_bad_calendars() -> anyhow::Result<()> {
    let rig = HolidayRig::start().await?;
    let mut fetcher = rig.spawn_fetcher(&[("CLOSED_DATES", "12-29..01-03")]).await?;

    // first run: published, notice sent
    let summary = fetcher.invoke(&event("holiday-fetcher", "scheduled")?).await?.response()?;
    assert_eq!(summary["status"], "updated");
    let stored = rig.stored_list().await?.expect("list published");
    let document = HolidayDocument::from_json(&stored)?;
    let holidays = &document.sites[0].holidays;
    assert_eq!(summary["holidayCount"], holidays.len());
    let names: Vec<&str> = holidays.iter().map(|h| h.name.as_str()).collect();
    assert!(names.contains(&"敬老の日") && names.contains(&"休業日"));
    assert!(!names.contains(&"節分") && !names.contains(&"クリスマス"), "observances are not holidays");
    let notices = rig.inbox.drain().await?;
    assert_eq!(notices.len(), 1);
    assert!(notices[0].subject.contains("updated"), "{notices:?}");

    // second run: unchanged, nothing written, no notice
    let summary = fetcher.invoke(&json!({})).await?.response()?;
    assert_eq!(summary["status"], "unchanged");
    assert_eq!(rig.stored_list().await?.as_deref(), Some(stored.as_slice()), "byte for byte");
    assert!(rig.inbox.drain().await?.is_empty());

    // every refusal: function error, list untouched, failure notice
    let html = "<!DOCTYPE html><html><body>We're sorry...</body></html>";
    let mut truncated = sample_calendar()?;
    truncated.truncate(truncated.len() - "END:VCALENDAR\r\n".len());
    let one_holiday = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:元日\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let cases = [
        ("HTTP 503", StubResponse::status(503, "unavailable"), "CalendarDownloadFailed"),
        ("HTML page", StubResponse::ok(html), "InvalidCalendar"),
        ("truncated", StubResponse::ok(truncated), "InvalidCalendar"),
        ("empty calendar", StubResponse::ok("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), "NoHolidays"),
        ("mass drop", StubResponse::ok(one_holiday), "TooManyHolidaysDropped"),
    ];
    for (case, stub, expected_type) in cases {
        rig.calendars.set(CALENDAR_PATH, stub);
        match fetcher.invoke(&json!({})).await? {
            Outcome::Error { error_type, error_message } => {
                assert_eq!(error_type, expected_type, "{case}: {error_message}")
            }
            other => panic!("{case}: expected a function error, got {other:?}"),
        }
        assert_eq!(rig.stored_list().await?.as_deref(), Some(stored.as_slice()), "{case}: list untouched");
        let notices = rig.inbox.drain().await?;
        assert_eq!(notices.len(), 1, "{case}");
        assert!(notices[0].subject.contains("FAILED") && notices[0].message.contains("unchanged"), "{case}");
    }
    Ok(())
}

#[tokio::test]
async fn fetcher_without_a_bucket_fails_init_naming_the_variable() -> anyhow::Result<()> {
    let mut options = FunctionOptions::new("holiday-fetcher", emulator_env("http://127.0.0.1:9"));
    options.timeout = Duration::from_secs(5);
    let mut fetcher = LambdaProcess::spawn(&function_binary("holiday-fetcher")?, options).await?;
    match fetcher.init_error().await? {
        Outcome::Error { error_type, error_message } => {
            assert_eq!(error_type, "InvalidConfiguration");
            assert!(error_message.contains("HOLIDAY_BUCKET"), "{error_message}");
        }
        other => panic!("expected an init error, got {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn check_answers_from_the_published_list_and_caches_it() -> anyhow::Result<()> {
    let rig = HolidayRig::start().await?;
    let mut fetcher = rig.spawn_fetcher(&[]).await?;
    fetcher.invoke(&json!({})).await?.response()?;
    let mut check = rig.spawn_check(&[("CACHE_SECONDS", "2")]).await?;

    let cases = [
        (json!({"date": "2026-11-23"}), "true", "勤労感謝の日", "2026-11-23"),
        (json!({"date": "2026-12-25"}), "false", "", "2026-12-25"), // クリスマス is an observance
        (json!({"at": "2026-12-31T14:59:00Z"}), "false", "", "2026-12-31"), // 23:59 in Tokyo
        (json!({"at": "2026-12-31T15:01:00Z"}), "true", "元日", "2027-01-01"), // 00:01 in Tokyo
    ];
    for (params, is_holiday, name, date) in cases {
        let answer = check.invoke(&ask_about(params.clone())?).await?.response()?;
        assert_eq!(answer["status"], "ok", "{params}");
        assert_eq!((answer["isHoliday"].as_str(), answer["holidayName"].as_str()), (Some(is_holiday), Some(name)));
        assert_eq!(answer["date"], date);
    }

    // within the cache window the list is not read again: deleting it changes nothing
    connect_aws::s3::s3_client(&rig.conf, true).delete_object().bucket(BUCKET).key(KEY).send().await?;
    let answer = check.invoke(&event("holiday-check", "chat-no-endpoint")?).await?.response()?;
    assert_eq!(answer["status"], "ok", "chat contact without endpoint, answered from the cache");

    // after the window, the revalidation finds it gone: error, answered open, alert sent once
    tokio::time::sleep(Duration::from_millis(2100)).await;
    for _ in 0..2 {
        let answer = check.invoke(&event("holiday-check", "voice-date")?).await?.response()?;
        assert_eq!((answer["status"].as_str(), answer["isHoliday"].as_str()), (Some("error"), Some("false")));
        assert_eq!(answer["error"], "holiday list not found");
    }
    let notices = rig.inbox.drain().await?;
    assert_eq!(notices.iter().filter(|n| n.subject.contains("holiday-check")).count(), 1, "{notices:?}");
    Ok(())
}

#[tokio::test]
async fn check_answers_within_three_seconds_when_s3_never_answers() -> anyhow::Result<()> {
    // a listener that accepts connections and never says a word
    let silent = local_run::SilentServer::start().await?;
    let mut env = emulator_env(silent.url());
    env.extend([("HOLIDAY_BUCKET".to_owned(), BUCKET.to_owned()), ("ON_ERROR".to_owned(), "closed".to_owned())]);
    let mut check =
        LambdaProcess::spawn(&function_binary("holiday-check")?, FunctionOptions::new("holiday-check", env)).await?;
    check.ready().await?;
    let asked = Instant::now();
    let answer = check.invoke(&event("holiday-check", "voice-now")?).await?.response()?;
    let waited = asked.elapsed();
    assert_eq!((answer["status"].as_str(), answer["isHoliday"].as_str()), (Some("error"), Some("true")));
    assert_eq!(answer["error"], "holiday list unavailable");
    assert!(
        waited < Duration::from_secs(3),
        "answered after {waited:?}; Connect needs an answer within the block timeout"
    );
    Ok(())
}

#[tokio::test]
async fn s3_adapter_revalidates_with_if_none_match_against_moto() -> anyhow::Result<()> {
    let rig = HolidayRig::start().await?;
    let conf = local_run::sdk_config(rig.moto.endpoint()).await;
    let store = S3HolidayStore::from_conf(&conf, true, BUCKET, KEY);
    assert_eq!(store.load(None).await?, Stored::Missing);
    store.save(b"{\"v\":1}".to_vec()).await?;
    let Stored::Current { body, etag: Some(etag) } = store.load(None).await? else { panic!("expected the object") };
    assert_eq!(body, b"{\"v\":1}");
    assert_eq!(store.load(Some(&etag)).await?, Stored::NotModified);
    store.save(b"{\"v\":2}".to_vec()).await?;
    assert!(matches!(store.load(Some(&etag)).await?, Stored::Current { .. }));
    Ok(())
}

#[tokio::test]
async fn fetcher_keeps_hours_of_operation_overrides_in_step() -> anyhow::Result<()> {
    use local_run::connect_emulator::{
        CREATE_HOURS_OVERRIDE, ConnectEmulator, DELETE_HOURS_OVERRIDE, LIST_HOURS_OVERRIDES, instance_arn,
    };

    let rig = HolidayRig::start().await?;
    let connect = ConnectEmulator::start().await?;
    connect.add_hours_override("hours-main", "Company anniversary", "2026-12-01");
    let endpoint = connect.endpoint();
    let instance = instance_arn();
    let env = [
        ("AWS_ENDPOINT_URL_CONNECT", endpoint.as_str()),
        ("CONNECT_INSTANCE_ID", instance.as_str()),
        ("HOURS_OF_OPERATION_IDS", "hours-main,hours-sub"),
    ];
    let mut fetcher = rig.spawn_fetcher(&env).await?;

    // first run: one closed override per upcoming holiday in the next 365 days, on both
    let summary = fetcher.invoke(&event("holiday-fetcher", "scheduled")?).await?.response()?;
    let document = HolidayDocument::from_json(&rig.stored_list().await?.expect("list published"))?;
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Tokyo).date_naive();
    let upcoming: Vec<String> = document.sites[0]
        .holidays
        .iter()
        .filter(|h| h.date >= today && h.date <= today + chrono::TimeDelta::days(365))
        .map(|h| format!("holiday {} {}", h.date, h.name))
        .collect();
    assert!(!upcoming.is_empty(), "the sample calendar reaches into the next year");
    let reports = summary["overrides"].as_array().cloned().unwrap_or_default();
    assert_eq!(reports.len(), 2, "{summary}");
    for report in &reports {
        assert_eq!(report["created"].as_array().map(Vec::len), Some(upcoming.len()), "{report}");
    }
    let main = connect.hours_overrides("hours-main");
    assert_eq!(main[0].name, "Company anniversary", "a person's override stays");
    let ours: Vec<&str> = main[1..].iter().map(|o| o.name.as_str()).collect();
    assert_eq!(ours, upcoming.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(main[1..].iter().all(|o| o.override_type == "CLOSED" && o.effective_from == o.effective_till));
    assert_eq!(connect.hours_overrides("hours-sub").len(), upcoming.len());

    // second run: nothing to change
    let changes = || connect.requests(CREATE_HOURS_OVERRIDE) + connect.requests(DELETE_HOURS_OVERRIDE);
    let before = changes();
    fetcher.invoke(&event("holiday-fetcher", "scheduled")?).await?.response()?;
    assert_eq!(changes(), before, "idempotent");

    // a dry run plans the removal of a stale override of ours; the real run makes it
    connect.add_hours_override("hours-sub", "holiday 2020-01-01 元日", "2020-01-01");
    let plan = fetcher.invoke(&json!({"dryRun": true})).await?.response()?;
    assert_eq!(plan["dryRun"], true);
    assert_eq!(plan["overrides"][1]["removed"], json!(["holiday 2020-01-01 元日"]));
    assert_eq!(changes(), before, "a dry run changes nothing");
    fetcher.invoke(&event("holiday-fetcher", "scheduled")?).await?.response()?;
    assert!(connect.hours_overrides("hours-sub").iter().all(|o| o.name != "holiday 2020-01-01 元日"));

    // Connect failing: the list stays published, the sync is reported as failed
    rig.inbox.drain().await?;
    // every attempt of both hours of operation (the SDK retries 5xx)
    let attempts = connect_aws::bootstrap::BACKGROUND_ATTEMPTS as usize;
    connect.fail_next(LIST_HOURS_OVERRIDES, 500, "InternalServiceException", 2 * attempts);
    let failed = fetcher.invoke(&event("holiday-fetcher", "scheduled")?).await?.response()?;
    assert_eq!(failed["status"], "unchanged");
    assert!(
        failed["overrides"][0]["error"].as_str().is_some_and(|e| e.contains("ListHoursOfOperationOverrides")),
        "{failed}"
    );
    assert!(rig.stored_list().await?.is_some());
    let notices = rig.inbox.drain().await?;
    assert!(notices.iter().any(|n| n.subject.contains("override sync FAILED")), "{notices:?}");
    Ok(())
}
