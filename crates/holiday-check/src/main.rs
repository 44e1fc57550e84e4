//! holiday-check: is the given or current day a holiday in the center's time zone? (contact flow)

mod config;
mod handler;

use connect_aws::metrics::{of_answer, serve};
use connect_aws::s3::S3HolidayStore;
use connect_aws::sns::SnsNotifier;
use connect_aws::{CallProfile, Env, SystemClock, init_tracing, load_aws_config, or_init_error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let env = Env::from_process();
    let config = or_init_error(config::Config::from_env(&env)).await?;
    let aws = load_aws_config(CallProfile::ContactFlow).await;
    let store = S3HolidayStore::from_conf(&aws, env.has_endpoint_override("S3"), &config.bucket, &config.key);
    let notifier = SnsNotifier::from_conf(&aws, config.alert_topic_arn.clone());
    let check = handler::HolidayCheck::new(&config, store, notifier, SystemClock);
    check.warm_up().await;
    let metrics = of_answer(handler::HolidayCheckResponse::metrics);
    serve(env!("CARGO_PKG_NAME"), CallProfile::ContactFlow, |event| check.handle(event.payload), metrics).await
}
