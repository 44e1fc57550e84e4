//! An outbound campaign on emulated AWS: moto with the customers table (and its to-call index)
//! and the holiday list, the Connect emulator's outbound queue, and the campaign function
//! binaries. Shared by the demo and the tests.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use connect_core::campaign::{TO_CALL, TO_CALL_AT};
use serde_json::{Value, json};

use crate::aws::{create_customers_table, create_phone_number_table, item_by_number, sdk_config};
use crate::connect_emulator::{ConnectEmulator, OutboundCall, instance_arn};
use crate::counting_proxy::CountingProxy;
use crate::holidays::{BUCKET, KEY, create_holiday_bucket, store_holiday_list};
use crate::runtime_api::{FunctionOptions, LambdaProcess};
use crate::{Moto, function_binary};

pub const CUSTOMERS_TABLE: &str = "connect-lambdas-customers";
pub const DO_NOT_CALL_TABLE: &str = "connect-lambdas-do-not-call";
pub const CAMPAIGN: &str = "spring2026";
pub const OUTBOUND_QUEUE: &str = "outbound-q";
pub const OUTBOUND_FLOW: &str = "outbound-campaign";
pub const SOURCE_NUMBER: &str = "+81501234567";
/// How a list is loaded to be due at once: any `toCallAt` in the past, written as the suite
/// writes times (UTC, milliseconds), so the index sorts it with the dialer's own.
pub const DUE_NOW: &str = "2000-01-01T00:00:00.000Z";

pub const IVR_CHOICE_RECORDER: &str = "ivr-choice-recorder";
pub const CAMPAIGN_DIALER: &str = "campaign-dialer";

pub struct CampaignRig {
    pub moto: Moto,
    /// The functions reach moto through it, so a test can see every request they made.
    pub proxy: CountingProxy,
    pub connect: ConnectEmulator,
    pub conf: SdkConfig,
}

impl CampaignRig {
    pub async fn start() -> anyhow::Result<Self> {
        let moto = Moto::start().await?;
        let conf = sdk_config(moto.endpoint()).await;
        create_customers_table(&conf, CUSTOMERS_TABLE).await?;
        create_phone_number_table(&conf, DO_NOT_CALL_TABLE).await?;
        create_holiday_bucket(&conf).await?;
        store_holiday_list(&conf, &[]).await?;
        let proxy = CountingProxy::start(moto.endpoint()).await?;
        let connect = ConnectEmulator::start().await?;
        Ok(CampaignRig { moto, proxy, connect, conf })
    }

    /// Loads customers with a name as pending in the campaign, due now: the PutItem an operator's
    /// list load makes (a reload replaces the rows the same way).
    pub async fn add_pending(&self, numbers: &[&str]) -> anyhow::Result<()> {
        for (i, number) in numbers.iter().enumerate() {
            self.add_pending_with(number, &format!("Customer {}", i + 1), &[]).await?;
        }
        Ok(())
    }

    /// One pending customer with attributes of their own (`timeZone`, `DO_NOT_CALL`, ...).
    pub async fn add_pending_with(
        &self,
        number: &str,
        name: &str,
        own: &[(&str, AttributeValue)],
    ) -> anyhow::Result<()> {
        let mut put = aws_sdk_dynamodb::Client::new(&self.conf)
            .put_item()
            .table_name(CUSTOMERS_TABLE)
            .item("phoneNumber", AttributeValue::S(number.to_owned()))
            .item("name", AttributeValue::S(name.to_owned()))
            .item(CAMPAIGN, AttributeValue::N("-1".to_owned()))
            .item(TO_CALL, AttributeValue::S(CAMPAIGN.to_owned()))
            .item(TO_CALL_AT, AttributeValue::S(DUE_NOW.to_owned()));
        for (attribute, value) in own {
            put = put.item(*attribute, value.clone());
        }
        put.send().await?;
        Ok(())
    }

    /// Moves a row's campaign times (`<campaign>_updatedAt`, `toCallAt`) back by `by`, as if that
    /// much time had passed since the dialer wrote them: the functions run on the real clock.
    pub async fn age_row(&self, number: &str, by: chrono::TimeDelta) -> anyhow::Result<()> {
        let row = self.row(number).await?.unwrap_or_default();
        let updated_at = format!("{CAMPAIGN}_updatedAt");
        let mut update = aws_sdk_dynamodb::Client::new(&self.conf)
            .update_item()
            .table_name(CUSTOMERS_TABLE)
            .key("phoneNumber", AttributeValue::S(number.to_owned()));
        let mut sets = Vec::new();
        for (name, attribute) in [("u", updated_at.as_str()), ("t", TO_CALL_AT)] {
            if let Some(at) = row.get(attribute).and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok()) {
                let earlier = connect_core::assignments::stored_time(at - by);
                update = update
                    .expression_attribute_names(format!("#{name}"), attribute)
                    .expression_attribute_values(format!(":{name}"), AttributeValue::S(earlier));
                sets.push(format!("#{name} = :{name}"));
            }
        }
        if !sets.is_empty() {
            update.update_expression(format!("SET {}", sets.join(", "))).send().await?;
        }
        Ok(())
    }

    /// The functions' requests to moto so far, by `service:operation` (`dynamodb:Query`, ...).
    pub fn aws_requests(&self, operation: &str) -> usize {
        self.proxy.counts().get(operation).copied().unwrap_or(0)
    }

    /// Whether the number is on the do-not-call list.
    pub async fn do_not_call_listed(&self, number: &str) -> anyhow::Result<bool> {
        Ok(item_by_number(&self.conf, DO_NOT_CALL_TABLE, number).await?.is_some())
    }

    /// Deletes the stored holiday list.
    pub async fn delete_holidays(&self) -> anyhow::Result<()> {
        connect_aws::s3::s3_client(&self.conf, true).delete_object().bucket(BUCKET).key(KEY).send().await?;
        Ok(())
    }

    /// Replaces the stored holiday list (`(date, name)` pairs).
    pub async fn set_holidays(&self, holidays: &[(&str, &str)]) -> anyhow::Result<()> {
        store_holiday_list(&self.conf, holidays).await
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
        let mut env = self.connect.function_env(&self.proxy.endpoint());
        for (name, value) in [
            ("CUSTOMERS_TABLE", CUSTOMERS_TABLE.to_owned()),
            ("CAMPAIGN", CAMPAIGN.to_owned()),
            ("CONTACT_FLOW_ID", OUTBOUND_FLOW.to_owned()),
            ("QUEUE_ID", self.connect.queue_arn(OUTBOUND_QUEUE)),
            ("SOURCE_PHONE_NUMBER", SOURCE_NUMBER.to_owned()),
            ("DO_NOT_CALL_TABLE", DO_NOT_CALL_TABLE.to_owned()),
            ("HOLIDAY_BUCKET", BUCKET.to_owned()),
            ("HOLIDAY_KEY", KEY.to_owned()),
            // tests run at any hour; the hours themselves have scenes of their own
            ("CALLING_HOURS", "Mon-Sun 00:00-24:00".to_owned()),
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
