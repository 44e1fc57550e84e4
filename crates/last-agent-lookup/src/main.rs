//! last-agent-lookup: who last served this caller, and should the queue prefer them (routing
//! criteria); new callers go to the queue (contact flow).

mod config;
mod handler;

use config::{Config, LookupSource};
use connect_aws::connect::{ConnectAgentDirectory, ConnectContactHistory, counted_client};
use connect_aws::dynamodb::DynamoAssignmentStore;
use connect_aws::metrics::{RequestCounter, of_answer, serve};
use connect_aws::{CallProfile, Env, SystemClock, init_tracing, load_aws_config, or_init_error};
use handler::{LastAgentLookup, LookupResponse, Remembered};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let config = or_init_error(Config::from_env(&Env::from_process())).await?;
    let aws = load_aws_config(CallProfile::ContactFlow).await;
    let routing = &config.routing;
    let counter = RequestCounter::default();
    let connect = counted_client(&aws, &counter);
    let remembered = match &config.source {
        LookupSource::Table { table } => Remembered::Table(DynamoAssignmentStore::from_conf(&aws, table)),
        LookupSource::ContactSearch { lookback, attribute } => Remembered::ContactSearch {
            history: ConnectContactHistory::new(connect.clone(), &routing.instance_id, attribute),
            lookback: *lookback,
        },
    };
    let directory =
        ConnectAgentDirectory::new(connect, &routing.instance_id, routing.scope.clone(), routing.users_cache_for);
    // Both connections open during init, concurrently.
    let table_warm_up = async {
        if let Remembered::Table(store) = &remembered {
            store.warm_up().await;
        }
    };
    tokio::join!(directory.warm_up(), table_warm_up);
    let lookup = LastAgentLookup::new(
        remembered,
        directory,
        routing.routing.available_status.clone(),
        config.preference.clone(),
        SystemClock,
    );
    counter.take(); // the warm-up's requests are init's, not the first caller's
    let metrics = of_answer(|answer: &LookupResponse| answer.metrics(counter.take()));
    serve(env!("CARGO_PKG_NAME"), CallProfile::ContactFlow, |event| lookup.handle(event.payload), metrics).await
}
