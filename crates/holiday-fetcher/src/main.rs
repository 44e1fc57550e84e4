//! holiday-fetcher: keeps the validated holiday list in S3 up to date (EventBridge schedule).

mod config;
mod handler;
mod notice;
mod summary;
mod sync;

use std::time::Duration;

use connect_aws::campaigns_v2::CampaignsV2;
use connect_aws::hours::ConnectHoursOverrides;
use connect_aws::http_calendar::HttpCalendarSource;
use connect_aws::metrics::serve;
use connect_aws::s3::S3HolidayStore;
use connect_aws::sns::SnsNotifier;
use connect_aws::{CallProfile, Env, SystemClock, init_tracing, load_aws_config, or_init_error, time_left};
use lambda_runtime::LambdaEvent;

/// Google's calendars are about 50 KB; 5 MB leaves room for any real feed and caps a bad one.
const MAX_CALENDAR_BYTES: usize = 5 * 1024 * 1024;
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(15);

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let env = Env::from_process();
    let config = or_init_error(config::Config::from_env(&env)).await?;
    let calendars = or_init_error(HttpCalendarSource::new(DOWNLOAD_TIMEOUT, MAX_CALENDAR_BYTES)).await?;
    let aws = load_aws_config(CallProfile::Background).await;
    let store = S3HolidayStore::from_conf(&aws, env.has_endpoint_override("S3"), &config.bucket, &config.key);
    let notifier = SnsNotifier::from_conf(&aws, config.alert_topic_arn.clone());
    // Only called when HOURS_OF_OPERATION_IDS names some (the sync reads the config).
    let instance_id = config.overrides.as_ref().map(|o| o.instance_id.clone()).unwrap_or_default();
    let hours = ConnectHoursOverrides::from_conf(&aws, &instance_id);
    // Only called for the campaigns a site names.
    let campaigns = CampaignsV2::from_conf(&aws);
    let fetcher = handler::HolidayFetcher::new(config, calendars, store, notifier, SystemClock)
        .with_hours(hours)
        .with_campaigns(campaigns);
    let handle =
        |event: LambdaEvent<serde_json::Value>| fetcher.handle_within(event.payload, time_left(&event.context));
    serve(env!("CARGO_PKG_NAME"), CallProfile::Background, handle, summary::metrics).await
}
