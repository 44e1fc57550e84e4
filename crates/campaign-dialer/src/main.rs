//! campaign-dialer: places an outbound campaign's calls, paced by the queue's free agents
//! (EventBridge schedule or manual invoke).

mod config;
mod handler;

use connect_aws::campaign_table::DynamoCampaignTable;
use connect_aws::outbound::ConnectOutbound;
use connect_aws::{CallProfile, Env, SystemClock, init_tracing, load_aws_config, or_init_error, time_left};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = or_init_error(config::Config::from_env(&Env::from_process())).await?;
    let aws = load_aws_config(CallProfile::Background).await;
    let table = DynamoCampaignTable::from_conf(&aws, &config.table);
    let calls = ConnectOutbound::from_conf(&aws, config.target.clone());
    let dialer = handler::CampaignDialer::new(&config, table, calls, SystemClock);
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| dialer.run(time_left(&event.context)))).await
}
