//! SDK clients and environment for talking to the emulators.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_s3::config::Credentials;

pub const REGION: &str = "ap-northeast-1";

/// The environment a function needs to reach emulated AWS at `endpoint` with dummy credentials.
pub fn emulator_env(endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_REGION", REGION),
        ("AWS_DEFAULT_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
        ("AWS_ENDPOINT_URL", endpoint),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// SDK configuration for set-up and inspection clients in tests and the demo.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "local-run"))
        .endpoint_url(endpoint)
        .load()
        .await
}

/// A table keyed by `phoneNumber` (string), on demand, as the stack creates the suite's tables.
pub async fn create_phone_number_table(conf: &SdkConfig, table: &str) -> anyhow::Result<()> {
    aws_sdk_dynamodb::Client::new(conf)
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("phoneNumber")
                .attribute_type(ScalarAttributeType::S)
                .build()?,
        )
        .key_schema(KeySchemaElement::builder().attribute_name("phoneNumber").key_type(KeyType::Hash).build()?)
        .send()
        .await?;
    Ok(())
}

/// The customers table as the stack creates it: keyed by `phoneNumber`, with the sparse
/// `to-call` index (`toCall` = campaign, `toCallAt` = due time, every attribute projected).
pub async fn create_customers_table(conf: &SdkConfig, table: &str) -> anyhow::Result<()> {
    use connect_core::campaign::{TO_CALL, TO_CALL_AT};
    let string =
        |name: &str| AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build();
    let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
    let index = GlobalSecondaryIndex::builder()
        .index_name(connect_aws::campaign_table::TO_CALL_INDEX)
        .key_schema(key(TO_CALL, KeyType::Hash)?)
        .key_schema(key(TO_CALL_AT, KeyType::Range)?)
        .projection(Projection::builder().projection_type(ProjectionType::All).build())
        .build()?;
    aws_sdk_dynamodb::Client::new(conf)
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string("phoneNumber")?)
        .attribute_definitions(string(TO_CALL)?)
        .attribute_definitions(string(TO_CALL_AT)?)
        .key_schema(key("phoneNumber", KeyType::Hash)?)
        .global_secondary_indexes(index)
        .send()
        .await?;
    Ok(())
}

/// A number's item, read consistently, as attribute name -> text (numbers as their digits).
pub async fn item_by_number(
    conf: &SdkConfig,
    table: &str,
    number: &str,
) -> anyhow::Result<Option<HashMap<String, String>>> {
    let item = aws_sdk_dynamodb::Client::new(conf)
        .get_item()
        .table_name(table)
        .key("phoneNumber", AttributeValue::S(number.to_owned()))
        .consistent_read(true)
        .send()
        .await?
        .item;
    Ok(item.map(|item| {
        item.into_iter()
            .map(|(k, v)| {
                let text = match v {
                    AttributeValue::S(s) | AttributeValue::N(s) => s,
                    AttributeValue::Bool(b) => b.to_string(),
                    other => format!("{other:?}"),
                };
                (k, text)
            })
            .collect()
    }))
}

/// An SQS queue subscribed to an SNS topic (raw delivery), to read what a function published.
pub struct NoticeInbox {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub subject: String,
    pub message: String,
}

impl NoticeInbox {
    pub async fn subscribe(conf: &SdkConfig, topic_arn: &str, queue_name: &str) -> anyhow::Result<Self> {
        let sqs = aws_sdk_sqs::Client::new(conf);
        let queue_url = sqs.create_queue().queue_name(queue_name).send().await?.queue_url.unwrap_or_default();
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await?;
        let queue_arn = attributes
            .attributes()
            .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
            .cloned()
            .unwrap_or_default();
        // Not raw: the SNS envelope carries the subject, which the notices are told apart by.
        aws_sdk_sns::Client::new(conf)
            .subscribe()
            .topic_arn(topic_arn)
            .protocol("sqs")
            .endpoint(queue_arn)
            .send()
            .await?;
        Ok(NoticeInbox { sqs, queue_url })
    }

    /// Everything delivered so far (waits briefly for stragglers).
    pub async fn drain(&self) -> anyhow::Result<Vec<Notice>> {
        let mut notices = Vec::new();
        loop {
            let received = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(0)
                .send()
                .await?;
            let messages = received.messages.unwrap_or_default();
            if messages.is_empty() {
                break;
            }
            for message in messages {
                let envelope: serde_json::Value = serde_json::from_str(message.body().unwrap_or("{}"))?;
                notices.push(Notice {
                    subject: envelope["Subject"].as_str().unwrap_or_default().to_owned(),
                    message: envelope["Message"].as_str().unwrap_or_default().to_owned(),
                });
                if let Some(handle) = message.receipt_handle() {
                    self.sqs.delete_message().queue_url(&self.queue_url).receipt_handle(handle).send().await?;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(notices)
    }
}
