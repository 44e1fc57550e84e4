//! agent-picker: the next agent to try that is available now, skipping the ones already tried
//! (contact flow).

mod handler;

use connect_aws::connect::ConnectAgentDirectory;
use connect_aws::settings::RoutingSettings;
use connect_aws::{CallProfile, Env, init_tracing, load_aws_config, or_init_error, random_index};
use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let settings = or_init_error(RoutingSettings::from_env(&Env::from_process())).await?;
    let aws = load_aws_config(CallProfile::ContactFlow).await;
    let directory =
        ConnectAgentDirectory::from_conf(&aws, &settings.instance_id, settings.scope.clone(), settings.users_cache_for);
    directory.warm_up().await;
    let picker = handler::AgentPicker::new(directory, settings.routing, random_index);
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| picker.handle(event.payload))).await
}
