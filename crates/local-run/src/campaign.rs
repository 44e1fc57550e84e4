//! An outbound campaign on emulated AWS: moto with the customers table, the Connect emulator's
//! outbound queue, and the campaign function binaries. Shared by the demo and the tests.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};

use crate::aws::{create_phone_number_table, item_by_number, sdk_config};
use crate::connect_emulator::{ConnectEmulator, OutboundCall, instance_arn};
use crate::runtime_api::{FunctionOptions, LambdaProcess};
use crate::{Moto, function_binary};

pub const CUSTOMERS_TABLE: &str = "connect-lambdas-customers";
pub const CAMPAIGN: &str = "spring2026";
pub const OUTBOUND_QUEUE: &str = "outbound-q";
pub const OUTBOUND_FLOW: &str = "outbound-campaign";
pub const SOURCE_NUMBER: &str = "+81501234567";

pub const IVR_CHOICE_RECORDER: &str = "ivr-choice-recorder";
pub const CAMPAIGN_DIALER: &str = "campaign-dialer";

pub struct CampaignRig {
    pub moto: Moto,
    pub connect: ConnectEmulator,
    pub conf: SdkConfig,
}

impl CampaignRig {
    pub async fn start() -> anyhow::Result<Self> {
        let moto = Moto::start().await?;
        let conf = sdk_config(moto.endpoint()).await;
        create_phone_number_table(&conf, CUSTOMERS_TABLE).await?;
        let connect = ConnectEmulator::start().await?;
        Ok(CampaignRig { moto, connect, conf })
    }

    /// Customers with a name, pending in the campaign.
    pub async fn add_pending(&self, numbers: &[&str]) -> anyhow::Result<()> {
        let dynamodb = aws_sdk_dynamodb::Client::new(&self.conf);
        for (i, number) in numbers.iter().enumerate() {
            dynamodb
                .put_item()
                .table_name(CUSTOMERS_TABLE)
                .item("phoneNumber", AttributeValue::S((*number).to_owned()))
                .item("name", AttributeValue::S(format!("Customer {}", i + 1)))
                .item(CAMPAIGN, AttributeValue::N("-1".to_owned()))
                .send()
                .await?;
        }
        Ok(())
    }

    /// A customer's row as attribute name -> text.
    pub async fn row(&self, number: &str) -> anyhow::Result<Option<HashMap<String, String>>> {
        item_by_number(&self.conf, CUSTOMERS_TABLE, number).await
    }

    /// The campaign's status code on a customer's row.
    pub async fn status(&self, number: &str) -> anyhow::Result<Option<i64>> {
        Ok(self.row(number).await?.and_then(|row| row.get(CAMPAIGN)?.parse().ok()))
    }

    /// The environment of both campaign functions; `own` adds or overrides.
    pub fn env(&self, own: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut env = self.connect.function_env(self.moto.endpoint());
        for (name, value) in [
            ("CUSTOMERS_TABLE", CUSTOMERS_TABLE.to_owned()),
            ("CAMPAIGN", CAMPAIGN.to_owned()),
            ("CONTACT_FLOW_ID", OUTBOUND_FLOW.to_owned()),
            ("QUEUE_ID", self.connect.queue_arn(OUTBOUND_QUEUE)),
            ("SOURCE_PHONE_NUMBER", SOURCE_NUMBER.to_owned()),
        ] {
            env.push((name.to_owned(), value));
        }
        env.extend(own.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }

    /// A function with the campaign environment and the given Lambda timeout.
    pub async fn spawn(
        &self,
        function: &str,
        own: &[(&str, &str)],
        timeout: Duration,
    ) -> anyhow::Result<LambdaProcess> {
        let options = FunctionOptions { timeout, ..FunctionOptions::new(function, self.env(own)) };
        LambdaProcess::spawn(&function_binary(function)?, options).await
    }
}

/// The outbound flow's event for a call the dialer placed, after the customer pressed `input`
/// (`Timeout` when they pressed nothing): the contact attributes the dialer set come back.
pub fn answer_event(call: &OutboundCall, input: &str) -> Value {
    json!({
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": call.attributes,
                "Channel": "VOICE",
                "ContactId": call.contact_id,
                "InitialContactId": call.contact_id,
                "InitiationMethod": "API",
                "InstanceARN": instance_arn(),
                "CustomerEndpoint": {"Address": call.destination, "Type": "TELEPHONE_NUMBER"},
                "SystemEndpoint": {"Address": call.source_phone_number, "Type": "TELEPHONE_NUMBER"},
                "Queue": null
            },
            "Parameters": {"inputData": input}
        }
    })
}
