//! agent-picker: the next agent to try that is available now, skipping the ones already tried
//! (contact flow).

mod handler;

use connect_aws::connect::{ConnectAgentDirectory, counted_client};
use connect_aws::metrics::{RequestCounter, of_answer, serve};
use connect_aws::settings::RoutingSettings;
use connect_aws::{CallProfile, Env, init_tracing, load_aws_config, or_init_error, random_index};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_tracing();
    let settings = or_init_error(RoutingSettings::from_env(&Env::from_process())).await?;
    let aws = load_aws_config(CallProfile::ContactFlow).await;
    let counter = RequestCounter::default();
    let connect = counted_client(&aws, &counter);
    let directory =
        ConnectAgentDirectory::new(connect, &settings.instance_id, settings.scope.clone(), settings.users_cache_for);
    directory.warm_up().await;
    counter.take(); // the warm-up's requests are init's, not the first caller's
    let picker = handler::AgentPicker::new(directory, settings.routing, random_index);
    let metrics = of_answer(|answer| handler::metrics(answer, counter.take()));
    serve(env!("CARGO_PKG_NAME"), CallProfile::ContactFlow, |event| picker.handle(event.payload), metrics).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `events/agent-picker/lambda.env`, the file `cargo lambda deploy --env-file` takes, is a
    /// configuration this function's loader accepts.
    #[test]
    fn the_cargo_lambda_env_file_is_a_valid_configuration() {
        let env = Env::from_env_file(include_str!("../../../events/agent-picker/lambda.env")).unwrap();
        let settings = RoutingSettings::from_env(&env).unwrap();
        assert_eq!(settings.instance_id, "11111111-2222-3333-4444-555555555555");
        // scoped to the flow's standard queue, as the stack deploys it
        let queue = "arn:aws:connect:ap-northeast-1:123456789012:instance/11111111-2222-3333-4444-555555555555/queue/66666666-7777-8888-9999-000000000000";
        assert_eq!(settings.scope, connect_aws::connect::AgentScope::Queues(vec![queue.to_owned()]));
    }
}
