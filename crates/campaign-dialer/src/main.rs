//! campaign-dialer: places an outbound campaign's calls, paced by the queue's free agents
//! (EventBridge schedule or manual invoke).

mod config;
mod handler;
mod handover;
mod rows;
mod summary;

use connect_aws::campaign_table::DynamoCampaignTable;
use connect_aws::campaigns_v2::{CampaignFeed, CampaignsV2};
use connect_aws::do_not_call::DynamoDoNotCall;
use connect_aws::metrics::serve;
use connect_aws::outbound::{ConnectOutbound, RandomTokens};
use connect_aws::s3::S3HolidayStore;
use connect_aws::{CallProfile, Env, SystemClock, init_tracing, load_aws_config, or_init_error, time_left};
use lambda_runtime::LambdaEvent;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let env = Env::from_process();
    let config = or_init_error(config::Config::from_env(&env)).await?;
    let aws = load_aws_config(CallProfile::Background).await;
    let table = DynamoCampaignTable::from_conf(&aws, &config.table).with_index(&config.index);
    let calls = ConnectOutbound::from_conf(&aws, config.target.clone());
    let path_style = env.has_endpoint_override("S3");
    let holidays = S3HolidayStore::from_conf(&aws, path_style, &config.holiday_bucket, &config.holiday_key);
    let do_not_call = config.do_not_call_table.as_ref().map(|name| DynamoDoNotCall::from_conf(&aws, name));
    // Only called with ENGINE=campaigns-v2.
    let campaign_id = match &config.engine {
        config::Engine::CampaignsV2 { campaign_id, .. } => campaign_id.as_str(),
        config::Engine::Direct => "",
    };
    let campaign_requests = CampaignFeed::new(CampaignsV2::from_conf(&aws), campaign_id);
    let ports = handler::Ports {
        table,
        calls,
        campaign_requests,
        holidays,
        do_not_call,
        tokens: RandomTokens,
        clock: SystemClock,
    };
    let dialer = handler::CampaignDialer::new(&config, ports);
    let handle = |event: LambdaEvent<serde_json::Value>| dialer.handle(event.payload, time_left(&event.context));
    serve(env!("CARGO_PKG_NAME"), CallProfile::Background, handle, |r| vec![summary::metrics(r)]).await
}
