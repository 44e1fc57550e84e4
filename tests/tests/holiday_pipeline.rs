//! holiday-fetcher and holiday-check as built, run through the Lambda Runtime API against moto
//! (S3, SNS, SQS) and a calendar server on loopback.

use std::time::{Duration, Instant};

use connect_aws::s3::S3HolidayStore;
use connect_core::holidays::HolidayDocument;
use connect_core::ports::{HolidayStore, Stored};
use local_run::holidays::{
    BUCKET, CALENDAR_PATH, HolidayRig, KEY, US_CALENDAR, US_CALENDAR_PATH as US_PATH, sample_calendar,
};
use local_run::{FunctionOptions, LambdaProcess, Outcome, StubResponse, emf, emulator_env, function_binary};
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

    // what the dashboard sees: one publish, each refusal by errorType, the list's age per site
    let lines = fetcher.metric_lines().await?;
    assert_eq!(emf::sum(&lines, "HolidayListPublished", &[]), 1.0);
    let refusals = |error_type: &str| emf::sum(&lines, "HolidayRefusals", &[("ErrorType", error_type)]);
    let expected = [
        ("CalendarDownloadFailed", 1.0),
        ("InvalidCalendar", 2.0),
        ("NoHolidays", 1.0),
        ("TooManyHolidaysDropped", 1.0),
    ];
    assert_eq!(expected.map(|(t, _)| refusals(t)), expected.map(|(_, n)| n));
    let ages: Vec<f64> = lines
        .iter()
        .filter(|l| l.field("Site") == Some("default"))
        .filter_map(|l| l.value("HolidayListAgeHours"))
        .collect();
    assert_eq!(ages.len(), 2, "after each run that kept a list");
    assert!(ages.iter().all(|age| (0.0..0.1).contains(age)), "{ages:?}");
    Ok(())
}

#[tokio::test]
async fn a_moved_calendar_is_followed_through_its_redirects_and_a_redirect_loop_refused() -> anyhow::Result<()> {
    let rig = HolidayRig::start().await?;
    // a path on the same origin, then an absolute URL: the feed is read where it ended up
    rig.calendars.set(CALENDAR_PATH, StubResponse::redirect(301, "/moved/ja.ics"));
    rig.calendars.set("/moved/ja.ics", StubResponse::redirect(302, &rig.calendars.url("/final/ja.ics")));
    rig.calendars.set("/final/ja.ics", StubResponse::ok(sample_calendar()?));
    let mut fetcher = rig.spawn_fetcher(&[]).await?;
    let summary = fetcher.invoke(&json!({})).await?.response()?;
    assert_eq!(summary["status"], "updated", "{summary}");
    assert_eq!(rig.calendars.hits("/final/ja.ics"), 1);

    rig.calendars.set("/final/ja.ics", StubResponse::redirect(307, CALENDAR_PATH));
    rig.calendars.set(CALENDAR_PATH, StubResponse::redirect(301, "/final/ja.ics"));
    match fetcher.invoke(&json!({})).await? {
        Outcome::Error { error_type, error_message } => {
            assert_eq!(error_type, "CalendarDownloadFailed");
            assert!(error_message.contains("redirects"), "{error_message}");
        }
        other => panic!("a redirect loop must fail the download: {other:?}"),
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

    // what the dashboard sees: every answer by outcome and site, the list's age when there is one
    let lines = check.metric_lines().await?;
    assert_eq!(lines.len(), 7);
    let answers = |outcome: &str| emf::sum(&lines, "HolidayAnswers", &[("Outcome", outcome), ("Site", "default")]);
    assert_eq!((answers("holiday"), answers("error")), (2.0, 2.0));
    assert_eq!(answers("open") + answers("closed_early"), 3.0);
    for line in &lines {
        let age = line.value("HolidayListAgeHours");
        assert_eq!(age.is_some(), line.field("Outcome") != Some("error"), "{:?}", line.0);
        assert!(age.is_none_or(|hours| hours < 0.1), "just published: {age:?}");
        assert_eq!(line.dimensions("HolidayAnswers").len(), 3, "total, by outcome, by site and outcome");
        assert!(line.value("AnswerLatency").is_some());
    }
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

#[tokio::test]
async fn fetcher_keeps_a_campaigns_restricted_periods_in_step_until_it_is_started() -> anyhow::Result<()> {
    use local_run::campaigns_emulator::{CampaignsEmulator, UPDATE_COMMUNICATION_TIME};

    let rig = HolidayRig::start().await?;
    let campaigns = CampaignsEmulator::start().await?;
    campaigns.add_campaign("spring-campaign", "Initialized");
    let endpoint = campaigns.endpoint();
    let env = [
        ("AWS_ENDPOINT_URL_CONNECTCAMPAIGNSV2", endpoint.as_str()),
        ("OUTBOUND_CAMPAIGN_IDS", "spring-campaign"),
        ("CLOSED_DATES", "12-29..01-03"),
    ];
    let mut fetcher = rig.spawn_fetcher(&env).await?;
    let periods = || -> Vec<Value> {
        let config = campaigns.campaign("spring-campaign").map(|c| c.communication_time).unwrap_or_default();
        config["telephony"]["restrictedPeriods"]["restrictedPeriodList"].as_array().cloned().unwrap_or_default()
    };

    // first run: every whole closed day of the next 365 days, consecutive days as one period
    let summary = fetcher.invoke(&event("holiday-fetcher", "scheduled")?).await?.response()?;
    let report = &summary["campaigns"][0];
    assert_eq!((report["campaignId"].as_str(), report.get("error")), (Some("spring-campaign"), None), "{summary}");
    let held = periods();
    assert!(!held.is_empty() && held.len() == report["added"].as_array().map_or(0, Vec::len), "{held:?}");
    assert!(
        held.iter().any(|p| p["endDate"].as_str().is_some_and(|end| end.ends_with("-01-03"))
            && p["startDate"].as_str().is_some_and(|start| start.ends_with("-12-29"))),
        "the year-end closure is one period: {held:?}"
    );
    let config = campaigns.campaign("spring-campaign").map(|c| c.communication_time).unwrap_or_default();
    assert_eq!(config["localTimeZoneConfig"]["defaultTimeZone"], "Asia/Tokyo", "the rest kept");

    // second run: nothing to change, nothing written
    let writes = campaigns.received(UPDATE_COMMUNICATION_TIME);
    fetcher.invoke(&event("holiday-fetcher", "scheduled")?).await?.response()?;
    assert_eq!(campaigns.received(UPDATE_COMMUNICATION_TIME), writes, "idempotent");

    // started, and a period of ours removed by hand: the update is refused as documented, the
    // summary and the notice say what the campaign should hold
    campaigns.set_state("spring-campaign", "Running");
    let mut config = campaigns.campaign("spring-campaign").map(|c| c.communication_time).unwrap_or_default();
    let first = held[0]["name"].clone();
    if let Some(list) = config["telephony"]["restrictedPeriods"]["restrictedPeriodList"].as_array_mut() {
        list.remove(0);
    }
    campaigns.set_communication_time("spring-campaign", config);
    rig.inbox.drain().await?;
    let refused = fetcher.invoke(&event("holiday-fetcher", "scheduled")?).await?.response()?;
    let report = &refused["campaigns"][0];
    assert!(report["error"].as_str().is_some_and(|e| e.contains("Running")), "{refused}");
    assert_eq!(report["added"], json!([first]));
    let notices = rig.inbox.drain().await?;
    assert!(notices.iter().any(|n| n.subject.contains("restricted-period sync FAILED")), "{notices:?}");
    Ok(())
}

fn sites(rig: &HolidayRig, osaka_closures: &str) -> String {
    let (ja, us) = (rig.calendars.url(CALENDAR_PATH), rig.calendars.url(US_PATH));
    json!([
        {"name": "tokyo", "calendars": [ja], "closures": "12-28 15:00-24:00", "hoursOfOperationIds": ["hours-tokyo"],
         "holidayHoursOfOperationId": "holidays-tokyo"},
        {"name": "osaka", "calendars": [ja], "closures": osaka_closures},
        {"name": "new-york", "timeZone": "America/New_York", "calendars": [us],
         "closures": "2026-03-08 15:00-24:00, 2026-11-01 15:00-24:00"}
    ])
    .to_string()
}

#[tokio::test]
async fn several_sites_early_closes_a_removed_closure_force_and_a_list_that_turns_unreadable() -> anyhow::Result<()> {
    use local_run::connect_emulator::{ConnectEmulator, instance_arn};

    let rig = HolidayRig::start().await?;
    rig.calendars.set(US_PATH, StubResponse::ok(US_CALENDAR));
    let connect = ConnectEmulator::start().await?;
    let (endpoint, instance) = (connect.endpoint(), instance_arn());
    let connect_env = [("AWS_ENDPOINT_URL_CONNECT", endpoint.as_str()), ("CONNECT_INSTANCE_ID", instance.as_str())];
    let first = sites(&rig, "12-29..01-03");
    let mut fetcher = rig.spawn_fetcher_with(&[connect_env[0], connect_env[1], ("SITES", &first)]).await?;

    // one run: three sites, the shared feed downloaded once
    let summary = fetcher.invoke(&json!({})).await?.response()?;
    assert_eq!(summary["status"], "updated", "{summary}");
    assert_eq!((rig.calendars.hits(CALENDAR_PATH), rig.calendars.hits(US_PATH)), (1, 1), "each feed once");
    let document = HolidayDocument::from_json(&rig.stored_list().await?.expect("published"))?;
    let names: Vec<&str> = document.sites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["tokyo", "osaka", "new-york"]);
    assert_eq!(document.site("new-york").and_then(|s| s.time_zone.as_deref()), Some("America/New_York"));

    // Tokyo's list is held by its holiday hours of operation, which the site's hours of operation
    // is linked to as a child (AssociateHoursOfOperations, model-checked) and inherits from
    assert_eq!(connect.hours_parents("hours-tokyo"), ["holidays-tokyo"]);
    assert!(connect.hours_overrides("hours-tokyo").is_empty(), "the child's own 50 stay free");
    // the early close is a CLOSED override of just that window
    let early = connect.effective_overrides("hours-tokyo");
    let close = early.iter().find(|o| o.name == "holiday 2026-12-28 15:00-24:00 休業日").expect("the early close");
    assert_eq!((close.override_type.as_str(), close.effective_from.as_str()), ("CLOSED", "2026-12-28"));
    assert_eq!(close.config[0]["StartTime"], json!({"Hours": 15, "Minutes": 0}), "{:?}", close.config);
    assert_eq!(close.config[0]["EndTime"], json!({"Hours": 23, "Minutes": 59}));
    assert!(early.iter().any(|o| o.name.starts_with("holiday 2027-01-01 ")), "and the whole-day holidays");

    // holiday-check for each site, at instants: 14:59 open, 15:01 closed, in the site's local time
    let mut check = rig.spawn_check(&[("SITE", "tokyo"), ("CACHE_SECONDS", "1")]).await?;
    let cases = [
        (json!({"at": "2026-12-28T05:59:00Z"}), "tokyo", "false"),
        (json!({"at": "2026-12-28T06:01:00Z"}), "tokyo", "true"),
        (json!({"site": "osaka", "at": "2026-12-28T06:01:00Z"}), "osaka", "false"),
        (json!({"site": "osaka", "date": "2026-12-30"}), "osaka", "true"),
        (json!({"site": "new-york", "at": "2026-03-08T18:59:00Z"}), "new-york", "false"), // 14:59 EDT
        (json!({"site": "new-york", "at": "2026-03-08T19:01:00Z"}), "new-york", "true"),
        (json!({"site": "new-york", "at": "2026-11-01T19:59:00Z"}), "new-york", "false"), // 14:59 EST
        (json!({"site": "new-york", "at": "2026-11-01T20:01:00Z"}), "new-york", "true"),
        (json!({"site": "new-york", "date": "2026-11-23"}), "new-york", "false"), // Tokyo's holiday only
    ];
    for (params, site, is_closed) in cases {
        let answer = check.invoke(&ask_about(params.clone())?).await?.response()?;
        assert_eq!(
            (answer["status"].as_str(), answer["site"].as_str()),
            (Some("ok"), Some(site)),
            "{params}: {answer}"
        );
        assert_eq!(answer["isClosed"], is_closed, "{params}: {answer}");
    }
    let closed =
        check.invoke(&ask_about(json!({"site": "new-york", "at": "2026-11-01T20:01:00Z"}))?).await?.response()?;
    assert_eq!(
        (closed["closedFrom"].as_str(), closed["closedUntil"].as_str()),
        (Some("2026-11-01T15:00:00-05:00"), Some("2026-11-02T00:00:00-05:00"))
    );
    let unknown = check.invoke(&ask_about(json!({"site": "kyoto"}))?).await?.response()?;
    assert_eq!((unknown["status"].as_str(), unknown["error"].as_str()), (Some("error"), Some("unknown site")));

    // the operator removes Osaka's new-year closure: published, not refused as "dropped holidays"
    let without = sites(&rig, "");
    let mut fetcher = rig.spawn_fetcher_with(&[connect_env[0], connect_env[1], ("SITES", &without)]).await?;
    rig.inbox.drain().await?;
    let summary = fetcher.invoke(&json!({})).await?.response()?;
    assert_eq!(summary["status"], "updated", "{summary}");
    let osaka = summary["sites"].as_array().and_then(|s| s.iter().find(|s| s["site"] == "osaka")).cloned();
    assert!(osaka.is_some_and(|o| o["removed"].as_array().is_some_and(|r| r.len() >= 6)), "{summary}");

    // the shared feed shrinks to one holiday: refused, then published with {"force": true}
    let one_holiday = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:元日\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    rig.calendars.set(CALENDAR_PATH, StubResponse::ok(one_holiday));
    let before = rig.stored_list().await?;
    match fetcher.invoke(&json!({})).await? {
        Outcome::Error { error_type, .. } => assert_eq!(error_type, "TooManyHolidaysDropped"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(rig.stored_list().await?, before, "refused: untouched");
    rig.inbox.drain().await?;
    let forced = fetcher.invoke(&json!({"force": true})).await?.response()?;
    assert!(forced["forced"].as_str().is_some_and(|f| f.contains("site tokyo") && f.contains("drops")), "{forced}");
    let notices = rig.inbox.drain().await?;
    assert!(notices.iter().any(|n| n.subject.contains("FORCED") && n.message.contains("drops")), "{notices:?}");

    // the stored list turns unreadable: holiday-check answers from its cache, and alerts (a
    // fresh execution environment: one alert per 15 minutes, and the one above had its alert)
    let mut check = rig.spawn_check(&[("SITE", "tokyo"), ("CACHE_SECONDS", "1")]).await?;
    check.ready().await?;
    rig.inbox.drain().await?;
    connect_aws::s3::s3_client(&rig.conf, true)
        .put_object()
        .bucket(BUCKET)
        .key(KEY)
        .body(b"{\"version\": 2, \"sites\": 7}".to_vec().into())
        .send()
        .await?;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let answer = check.invoke(&ask_about(json!({"at": "2026-12-28T06:01:00Z"}))?).await?.response()?;
    assert_eq!((answer["status"].as_str(), answer["isClosed"].as_str()), (Some("ok"), Some("true")), "{answer}");
    // the alert is published off the caller's path: give it a moment
    let started = Instant::now();
    let mut alerts = Vec::new();
    while alerts.is_empty() && started.elapsed() < Duration::from_secs(5) {
        alerts = rig.inbox.drain().await?.into_iter().filter(|n| n.subject.contains("holiday-check")).collect();
    }
    assert!(alerts.iter().any(|n| n.message.contains("unreadable")), "{alerts:?}");
    Ok(())
}
