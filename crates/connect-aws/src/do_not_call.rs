//! The do-not-call list as a DynamoDB table keyed by `phoneNumber`: one item per number that
//! pressed 9, with the campaign and the time. Kept apart from the customers table, whose rows a
//! list reload replaces whole.

use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use connect_core::assignments::stored_time;
use connect_core::campaign::Campaign;
use connect_core::phone::CallerNumber;
use connect_core::ports::DoNotCallList;

use crate::dynamodb::DynamoError;

#[derive(Debug, Clone)]
pub struct DynamoDoNotCall {
    client: Client,
    table: String,
}

impl DynamoDoNotCall {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoDoNotCall { client, table: table.into() }
    }

    pub fn from_conf(conf: &SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(conf), table)
    }
}

impl DoNotCallList for DynamoDoNotCall {
    type Error = DynamoError;

    async fn contains(&self, phone_number: &str) -> Result<bool, DynamoError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("phoneNumber", AttributeValue::S(phone_number.to_owned()))
            .projection_expression("phoneNumber")
            // an opt-out recorded a moment ago must already count
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| DynamoError::new("GetItem", &self.table, e))?;
        Ok(output.item.is_some_and(|item| !item.is_empty()))
    }

    async fn add(&self, customer: &CallerNumber, campaign: &Campaign, at: DateTime<Utc>) -> Result<(), DynamoError> {
        // The first opt-out is kept: a repeated 9 (or a retried invocation) changes nothing.
        let written = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("phoneNumber", AttributeValue::S(customer.as_e164().to_owned()))
            .item("campaign", AttributeValue::S(campaign.to_string()))
            .item("addedAt", AttributeValue::S(stored_time(at)))
            .condition_expression("attribute_not_exists(phoneNumber)")
            .send()
            .await;
        match written {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(DynamoError::new("PutItem", &self.table, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::mocked_client;
    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_smithy_mocks::{Rule, mock};

    async fn list(rules: &[&Rule]) -> DynamoDoNotCall {
        DynamoDoNotCall::new(mocked_client!(aws_sdk_dynamodb, crate::CallProfile::Background, rules), "do-not-call")
    }

    #[tokio::test]
    async fn a_number_is_listed_once_and_read_consistently() {
        let listed = mock!(Client::get_item)
            .match_requests(|r| r.consistent_read() == Some(true) && r.table_name() == Some("do-not-call"))
            .then_output(|| {
                GetItemOutput::builder().item("phoneNumber", AttributeValue::S("+819012345678".into())).build()
            });
        let unlisted = mock!(Client::get_item).then_output(|| GetItemOutput::builder().build());
        let first = mock!(Client::put_item)
            .match_requests(|r| r.condition_expression() == Some("attribute_not_exists(phoneNumber)"))
            .then_output(|| PutItemOutput::builder().build());
        let again = mock!(Client::put_item).then_error(|| {
            PutItemError::ConditionalCheckFailedException(ConditionalCheckFailedException::builder().build())
        });
        let list = list(&[&listed, &unlisted, &first, &again]).await;
        assert!(list.contains("+819012345678").await.unwrap());
        assert!(!list.contains("+819012345679").await.unwrap());
        let customer = CallerNumber::parse("+819012345678").unwrap();
        let campaign = Campaign::parse("spring").unwrap();
        let at = "2026-12-04T01:00:00Z".parse().unwrap();
        list.add(&customer, &campaign, at).await.unwrap();
        list.add(&customer, &campaign, at).await.unwrap();
        assert_eq!((first.num_calls(), again.num_calls()), (1, 1), "a second opt-out is no error");
    }
}
