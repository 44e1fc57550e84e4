//! The suite as a deploy leaves it, on emulated AWS, for `make smoke`'s own test: moto (the
//! holiday bucket and alert topic, the assignments, customers and do-not-call tables), a calendar
//! server, the Connect emulator with an agent, each function binary run through the Runtime API
//! driver with the settings the stack gives it, and emulated Lambda ([`LambdaApi`]) in front of
//! them for the AWS CLI.

use std::collections::HashMap;
use std::time::Duration;

use crate::aws::{create_customers_table, create_phone_number_table, emulator_env, sdk_config};
use crate::campaign::{CAMPAIGN, CUSTOMERS_TABLE, DO_NOT_CALL_TABLE, OUTBOUND_FLOW, OUTBOUND_QUEUE};
use crate::connect_emulator::{Agent, AgentStatus, ConnectEmulator};
use crate::holidays::{BUCKET, CALENDAR_PATH, create_bucket_and_topic, sample_calendar};
use crate::lambda_api::LambdaApi;
use crate::routing::{ROUTING_PROFILE, SUPPORT_QUEUE, TABLE as ASSIGNMENTS_TABLE, create_assignments_table};
use crate::runtime_api::{FunctionOptions, LambdaProcess};
use crate::{Moto, StubResponse, StubServer, function_binary};

pub struct SmokeRig {
    pub moto: Moto,
    pub connect: ConnectEmulator,
    pub calendars: StubServer,
    pub lambda: LambdaApi,
}

impl SmokeRig {
    /// The world, and `functions` running in it.
    pub async fn start(functions: &[&str]) -> anyhow::Result<Self> {
        let moto = Moto::start().await?;
        let conf = sdk_config(moto.endpoint()).await;
        let topic_arn = create_bucket_and_topic(&conf).await?;
        create_assignments_table(&conf).await?;
        create_customers_table(&conf, CUSTOMERS_TABLE).await?;
        create_phone_number_table(&conf, DO_NOT_CALL_TABLE).await?;
        let calendars = StubServer::start().await?;
        calendars.set(CALENDAR_PATH, StubResponse::ok(sample_calendar()?));
        let connect = ConnectEmulator::start().await?;
        connect.set_routing_profile_queues(ROUTING_PROFILE, &[SUPPORT_QUEUE]);
        connect.add_agent(Agent::new("suzuki", "suzuki@example.com", ROUTING_PROFILE, AgentStatus::available(1_000.0)));
        let queue = connect.queue_arn(SUPPORT_QUEUE);
        let mut running = HashMap::new();
        for &name in functions {
            // The variables the stack sets for each function (infra/lib/stack.ts), on the emulators.
            let own: Vec<(&str, String)> = match name {
                "holiday-fetcher" => vec![
                    ("HOLIDAY_BUCKET", BUCKET.into()),
                    ("ALERT_TOPIC_ARN", topic_arn.clone()),
                    ("CALENDAR_URLS", calendars.url(CALENDAR_PATH)),
                ],
                "holiday-check" => vec![("HOLIDAY_BUCKET", BUCKET.into()), ("ALERT_TOPIC_ARN", topic_arn.clone())],
                "last-agent-lookup" => {
                    vec![("ASSIGNMENTS_TABLE", ASSIGNMENTS_TABLE.into()), ("QUEUE_ID", queue.clone())]
                }
                "agent-picker" => vec![("QUEUE_IDS", queue.clone())],
                "assignment-recorder" => vec![("ASSIGNMENTS_TABLE", ASSIGNMENTS_TABLE.into())],
                "ivr-choice-recorder" => vec![
                    ("CUSTOMERS_TABLE", CUSTOMERS_TABLE.into()),
                    ("CAMPAIGN", CAMPAIGN.into()),
                    ("DO_NOT_CALL_TABLE", DO_NOT_CALL_TABLE.into()),
                ],
                "campaign-dialer" => vec![
                    ("CUSTOMERS_TABLE", CUSTOMERS_TABLE.into()),
                    ("CAMPAIGN", CAMPAIGN.into()),
                    ("DO_NOT_CALL_TABLE", DO_NOT_CALL_TABLE.into()),
                    ("HOLIDAY_BUCKET", BUCKET.into()),
                    ("CONTACT_FLOW_ID", OUTBOUND_FLOW.into()),
                    ("QUEUE_ID", connect.queue_arn(OUTBOUND_QUEUE)),
                    // the report must not depend on the hour the tests run at
                    ("CALLING_HOURS", "Mon-Sun 00:00-24:00".into()),
                ],
                _ => vec![],
            };
            let mut env = connect.function_env(moto.endpoint());
            env.extend(own.into_iter().map(|(k, v)| (k.to_owned(), v)));
            let timeout = if name == "holiday-fetcher" || name == "campaign-dialer" { 60 } else { 3 };
            let options = FunctionOptions { timeout: Duration::from_secs(timeout), ..FunctionOptions::new(name, env) };
            running.insert(name.to_owned(), LambdaProcess::spawn(&function_binary(name)?, options).await?);
        }
        let lambda = LambdaApi::start(running).await?;
        Ok(SmokeRig { moto, connect, calendars, lambda })
    }

    /// What the AWS CLI needs to reach emulated Lambda: test credentials, the Region, no config.
    pub fn cli_env(&self) -> Vec<(String, String)> {
        emulator_env(&self.lambda.endpoint()).into_iter().filter(|(k, _)| k != "AWS_ENDPOINT_URL").collect()
    }
}
