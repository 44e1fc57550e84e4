//! Returning-caller routing on emulated AWS: moto with the assignments table, the Connect
//! emulator with a team of agents, and the three routing function binaries. Shared by the demo
//! and the integration tests.

use std::collections::HashMap;

use anyhow::{Context, bail};
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::TimeToLiveSpecification;
use chrono::{DateTime, Utc};
use connect_aws::dynamodb::DynamoAssignmentStore;
use connect_core::assignments::{Assignment, RecordOutcome};
use connect_core::phone::CallerNumber;
use connect_core::ports::AssignmentStore;
use serde_json::{Value, json};

use crate::aws::{create_phone_number_table, item_by_number, sdk_config};
use crate::connect_emulator::{Agent, AgentStatus, ConnectEmulator};
use crate::runtime_api::{FunctionOptions, LambdaProcess};
use crate::{Moto, function_binary};

pub const TABLE: &str = "connect-lambdas-assignments";
pub const ROUTING_PROFILE: &str = "rp-support";
/// The standard queue the inbound flow transfers to; the support routing profile serves it.
pub const SUPPORT_QUEUE: &str = "q-support";

pub const LAST_AGENT_LOOKUP: &str = "last-agent-lookup";
pub const AGENT_PICKER: &str = "agent-picker";
pub const ASSIGNMENT_RECORDER: &str = "assignment-recorder";

pub struct RoutingRig {
    pub moto: Moto,
    pub connect: ConnectEmulator,
    pub conf: SdkConfig,
}

impl RoutingRig {
    pub async fn start() -> anyhow::Result<Self> {
        let moto = Moto::start().await?;
        let conf = sdk_config(moto.endpoint()).await;
        create_assignments_table(&conf).await?;
        let connect = ConnectEmulator::start().await?;
        connect.set_routing_profile_queues(ROUTING_PROFILE, &[SUPPORT_QUEUE, "q-billing"]);
        Ok(RoutingRig { moto, connect, conf })
    }

    /// An agent on the support routing profile, `Available` since `since_epoch_secs` when
    /// `available`, else on `Lunch`.
    pub fn add_agent(&self, id: &str, available: bool, since_epoch_secs: f64) {
        let status = if available {
            AgentStatus::available(since_epoch_secs)
        } else {
            AgentStatus::new("Lunch", since_epoch_secs, Some(1))
        };
        self.connect.add_agent(Agent::new(id, format!("{id}@example.com"), ROUTING_PROFILE, status));
    }

    /// The environment of every routing function; `own` adds or overrides.
    pub fn env(&self, own: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = self.connect.function_env(self.moto.endpoint());
        env.push(("ASSIGNMENTS_TABLE".into(), TABLE.into()));
        env.push(("QUEUE_ID".into(), self.connect.queue_arn(SUPPORT_QUEUE)));
        env.extend(own.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }

    /// A voice call from `from` answered by `agent` now (queued on the support queue first),
    /// as the emulator's contact life: its contact events are in `connect.contact_events()`.
    pub fn answered_call(&self, from: Option<&str>, agent: &str) -> String {
        let id = self.connect.start_inbound_call(from);
        self.connect.queue_contact(&id, SUPPORT_QUEUE);
        self.connect.connect_contact(&id, agent);
        id
    }

    /// Delivers contact events to a running assignment-recorder, as EventBridge would; answers
    /// what it made of each.
    pub async fn deliver(&self, recorder: &mut LambdaProcess, events: &[Value]) -> anyhow::Result<Vec<Value>> {
        let mut outcomes = Vec::new();
        for event in events {
            outcomes.push(recorder.invoke(event).await?.response()?);
        }
        Ok(outcomes)
    }

    pub async fn spawn(&self, function: &str, own: &[(&str, &str)]) -> anyhow::Result<LambdaProcess> {
        LambdaProcess::spawn(&function_binary(function)?, FunctionOptions::new(function, self.env(own))).await
    }

    /// The stored item for a number, as attribute name -> text (numbers as their digits).
    pub async fn stored_assignment(&self, number: &str) -> anyhow::Result<Option<HashMap<String, String>>> {
        item_by_number(&self.conf, TABLE, number).await
    }

    /// Stores an assignment made at `at` (in the past, or in the future for "newer than any
    /// recorder's"), through the same adapter assignment-recorder writes with.
    pub async fn remember(
        &self,
        number: &str,
        agent_id: &str,
        contact_id: &str,
        at: DateTime<Utc>,
        keep_for_days: u32,
    ) -> anyhow::Result<()> {
        let caller = CallerNumber::parse(number).context("not an E.164 number")?;
        let assignment = Assignment::new(caller, agent_id.into(), String::new(), contact_id.into(), at, keep_for_days);
        match DynamoAssignmentStore::from_conf(&self.conf, TABLE).record(&assignment).await? {
            RecordOutcome::Written => Ok(()),
            RecordOutcome::Superseded => bail!("a newer assignment for {} is already stored", assignment.caller),
        }
    }
}

/// The table as the stack creates it: `phoneNumber` key, TTL on `expiresAt`.
pub async fn create_assignments_table(conf: &SdkConfig) -> anyhow::Result<()> {
    create_phone_number_table(conf, TABLE).await?;
    aws_sdk_dynamodb::Client::new(conf)
        .update_time_to_live()
        .table_name(TABLE)
        .time_to_live_specification(
            TimeToLiveSpecification::builder().attribute_name("expiresAt").enabled(true).build()?,
        )
        .send()
        .await?;
    Ok(())
}

/// An inbound voice contact-flow event from `number` (or a chat without one), with parameters.
pub fn contact_event(contact_id: &str, number: Option<&str>, parameters: Value) -> Value {
    let (channel, endpoint) = match number {
        Some(number) => ("VOICE", json!({"Address": number, "Type": "TELEPHONE_NUMBER"})),
        None => ("CHAT", Value::Null),
    };
    json!({
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": {},
                "Channel": channel,
                "ContactId": contact_id,
                "InitialContactId": contact_id,
                "InitiationMethod": if number.is_some() { "INBOUND" } else { "API" },
                "InstanceARN": crate::connect_emulator::instance_arn(),
                "CustomerEndpoint": endpoint,
                "SystemEndpoint": null,
                "Queue": null
            },
            "Parameters": parameters
        }
    })
}
