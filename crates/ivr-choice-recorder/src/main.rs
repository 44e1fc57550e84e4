//! ivr-choice-recorder: records an outbound customer's keypad choice on their campaign row and
//! answers with the message to play (outbound contact flow).

mod config;
mod handler;

use connect_aws::campaign_table::DynamoCampaignTable;
use connect_aws::do_not_call::DynamoDoNotCall;
use connect_aws::metrics::{of_answer, serve};
use connect_aws::{CallProfile, Env, SystemClock, init_tracing, load_aws_config, or_init_error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = or_init_error(config::Config::from_env(&Env::from_process())).await?;
    let aws = load_aws_config(CallProfile::ContactFlow).await;
    let table = DynamoCampaignTable::from_conf(&aws, &config.table);
    table.warm_up().await;
    let do_not_call = config.do_not_call_table.as_ref().map(|name| DynamoDoNotCall::from_conf(&aws, name));
    let recorder = handler::ChoiceRecorder::new(config, table, do_not_call, SystemClock);
    let metrics = of_answer(handler::ChoiceResponse::metrics);
    serve(env!("CARGO_PKG_NAME"), CallProfile::ContactFlow, |event| recorder.handle(event.payload), metrics).await
}
