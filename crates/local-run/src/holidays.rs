//! The holiday pipeline on emulated AWS: moto with a bucket, an alert topic and an inbox
//! reading it, a calendar server, and the two function binaries. Shared by the demo and the
//! integration tests.

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use connect_aws::s3::{S3HolidayStore, s3_client};
use connect_core::ports::{HolidayStore, Stored};

use crate::aws::{NoticeInbox, REGION, emulator_env, sdk_config};
use crate::runtime_api::{FunctionOptions, LambdaProcess};
use crate::stub::{StubResponse, StubServer};
use crate::{Moto, function_binary, workspace_root};

pub const BUCKET: &str = "connect-lambdas-holidays";
pub const KEY: &str = "holidays.json";
pub const CALENDAR_PATH: &str = "/calendars/ja.ics";
pub const US_CALENDAR_PATH: &str = "/calendars/us.ics";

/// A small US public-holiday feed (all-day events), for a New York site.
pub const US_CALENDAR: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:local-run\r\n\
    BEGIN:VEVENT\r\nUID:thanksgiving-2026\r\nDTSTART;VALUE=DATE:20261126\r\nSUMMARY:Thanksgiving\r\nEND:VEVENT\r\n\
    BEGIN:VEVENT\r\nUID:christmas-2026\r\nDTSTART;VALUE=DATE:20261225\r\nSUMMARY:Christmas Day\r\nEND:VEVENT\r\n\
    BEGIN:VEVENT\r\nUID:new-year-2027\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:New Year's Day\r\nEND:VEVENT\r\n\
    END:VCALENDAR\r\n";

pub struct HolidayRig {
    pub moto: Moto,
    pub calendars: StubServer,
    pub conf: SdkConfig,
    pub topic_arn: String,
    pub inbox: NoticeInbox,
}

/// The sample calendar shipped in `events/holiday-fetcher/`.
pub fn sample_calendar() -> anyhow::Result<Vec<u8>> {
    Ok(std::fs::read(workspace_root().join("events/holiday-fetcher/calendar-ja.ics"))?)
}

/// The holiday bucket, as the stack creates it.
pub async fn create_holiday_bucket(conf: &SdkConfig) -> anyhow::Result<()> {
    s3_client(conf, true)
        .create_bucket()
        .bucket(BUCKET)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(REGION)).build(),
        )
        .send()
        .await?;
    Ok(())
}

/// Stores a holiday list of the site `default` in Tokyo as holiday-fetcher publishes it:
/// `(date, name)` pairs, or `(date HH:MM-HH:MM, name)` for a closure of part of the day.
pub async fn store_holiday_list(conf: &SdkConfig, holidays: &[(&str, &str)]) -> anyhow::Result<()> {
    use connect_core::holidays::{DEFAULT_SITE, Holiday, HolidayDocument, SiteHolidays};
    let holidays = holidays
        .iter()
        .map(|(date, name)| {
            let (date, window) = date.split_once(' ').map_or((*date, None), |(d, w)| (d, Some(w)));
            let closed = window.map(str::parse).transpose().map_err(|e| anyhow::anyhow!("{e}"))?;
            Ok(Holiday { date: date.parse()?, name: (*name).to_owned(), closed, closure: closed.is_some() })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let site = SiteHolidays {
        name: DEFAULT_SITE.to_owned(),
        time_zone: Some("Asia/Tokyo".to_owned()),
        sources: vec!["local-run".to_owned()],
        holidays,
    };
    let document = HolidayDocument::single(chrono::Utc::now(), site);
    S3HolidayStore::from_conf(conf, true, BUCKET, KEY).save(document.to_json()).await?;
    Ok(())
}

/// The holiday bucket and the alert topic, as the stack creates them; the topic's ARN.
pub async fn create_bucket_and_topic(conf: &SdkConfig) -> anyhow::Result<String> {
    create_holiday_bucket(conf).await?;
    let topic = aws_sdk_sns::Client::new(conf).create_topic().name("connect-lambdas-alerts").send().await?;
    Ok(topic.topic_arn.unwrap_or_default())
}

impl HolidayRig {
    pub async fn start() -> anyhow::Result<Self> {
        let moto = Moto::start().await?;
        let conf = sdk_config(moto.endpoint()).await;
        let topic_arn = create_bucket_and_topic(&conf).await?;
        let inbox = NoticeInbox::subscribe(&conf, &topic_arn, "alerts-inbox").await?;
        let calendars = StubServer::start().await?;
        calendars.set(CALENDAR_PATH, StubResponse::ok(sample_calendar()?));
        Ok(HolidayRig { moto, calendars, conf, topic_arn, inbox })
    }

    fn env(&self, own: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = emulator_env(self.moto.endpoint());
        env.push(("HOLIDAY_BUCKET".into(), BUCKET.into()));
        env.push(("ALERT_TOPIC_ARN".into(), self.topic_arn.clone()));
        env.extend(own.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }

    pub async fn spawn_fetcher(&self, extra: &[(&str, &str)]) -> anyhow::Result<LambdaProcess> {
        let url = self.calendars.url(CALENDAR_PATH);
        let mut own = vec![("CALENDAR_URLS", url.as_str())];
        own.extend_from_slice(extra);
        let mut options = FunctionOptions::new("holiday-fetcher", self.env(&own));
        options.timeout = Duration::from_secs(60);
        LambdaProcess::spawn(&function_binary("holiday-fetcher")?, options).await
    }

    /// holiday-fetcher with exactly this environment beside the bucket and topic (for `SITES`,
    /// which refuses the single-site `CALENDAR_URLS`).
    pub async fn spawn_fetcher_with(&self, own: &[(&str, &str)]) -> anyhow::Result<LambdaProcess> {
        let mut options = FunctionOptions::new("holiday-fetcher", self.env(own));
        options.timeout = Duration::from_secs(60);
        LambdaProcess::spawn(&function_binary("holiday-fetcher")?, options).await
    }

    pub async fn spawn_check(&self, extra: &[(&str, &str)]) -> anyhow::Result<LambdaProcess> {
        let options = FunctionOptions::new("holiday-check", self.env(extra));
        LambdaProcess::spawn(&function_binary("holiday-check")?, options).await
    }

    /// The stored list's bytes, `None` when there is no object (read through the S3 adapter,
    /// which is itself tested against moto).
    pub async fn stored_list(&self) -> anyhow::Result<Option<Vec<u8>>> {
        match S3HolidayStore::from_conf(&self.conf, true, BUCKET, KEY).load(None).await? {
            Stored::Current { body, .. } => Ok(Some(body)),
            Stored::Missing | Stored::NotModified => Ok(None),
        }
    }
}
