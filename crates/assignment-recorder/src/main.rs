//! assignment-recorder: remembers caller -> agent so the caller's next call reaches the same
//! agent: on Amazon Connect contact events (EventBridge) once an agent answered, or when a
//! contact flow calls it.

mod config;
mod handler;

use connect_aws::connect::ConnectContactDetails;
use connect_aws::dynamodb::DynamoAssignmentStore;
use connect_aws::metrics::serve;
use connect_aws::{CallProfile, Env, SystemClock, init_tracing, load_aws_config, or_init_error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = or_init_error(config::Config::from_env(&Env::from_process())).await?;
    let aws = load_aws_config(CallProfile::ContactFlow).await;
    let store = DynamoAssignmentStore::from_conf(&aws, &config.assignments.table);
    store.warm_up().await;
    let contacts = ConnectContactDetails::from_conf(&aws);
    let recorder = handler::AssignmentRecorder::new(&config, store, contacts, SystemClock);
    serve(
        env!("CARGO_PKG_NAME"),
        CallProfile::ContactFlow,
        |event| recorder.handle(event.payload),
        |r| vec![handler::metrics(r)],
    )
    .await
}
