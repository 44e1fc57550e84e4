//! Callers' last agents as items of a DynamoDB table keyed by `phoneNumber`.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use connect_core::assignments::{Assignment, RecordOutcome, stored_time};
use connect_core::phone::CallerNumber;
use connect_core::ports::AssignmentStore;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
#[error("DynamoDB {operation} on table {table} failed")]
pub struct DynamoError {
    pub operation: &'static str,
    pub table: String,
    #[source]
    pub source: BoxError,
}

impl DynamoError {
    /// `operation` on `table` failed: what every DynamoDB adapter of the suite reports.
    pub(crate) fn new(operation: &'static str, table: &str, source: impl Into<BoxError>) -> Self {
        DynamoError { operation, table: table.to_owned(), source: source.into() }
    }
}

/// Written only if the caller has no item, the item is this contact's (a retry), the item is
/// older, or it lacks a time (written by hand): one request, no read-modify-write race.
const NEWER_OR_SAME_CONTACT: &str = "attribute_not_exists(phoneNumber) OR contactId = :contactId \
     OR attribute_not_exists(updatedAt) OR updatedAt < :updatedAt";

#[derive(Debug, Clone)]
pub struct DynamoAssignmentStore {
    client: Client,
    table: String,
}

/// Opens the connection to DynamoDB during init (where Lambda gives the TLS handshake a full
/// CPU) and checks that the table exists; a failure is logged and the first call tries anyway.
pub(crate) async fn warm_up_table(client: &Client, table: &str) {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => tracing::debug!(table, "table reachable"),
        Err(e) => {
            tracing::warn!(table, error = %connect_core::ports::error_chain(&e), "could not reach the table at init")
        }
    }
}

impl DynamoAssignmentStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoAssignmentStore { client, table: table.into() }
    }

    /// See [`warm_up_table`].
    pub async fn warm_up(&self) {
        warm_up_table(&self.client, &self.table).await;
    }

    pub fn from_conf(conf: &SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(conf), table)
    }
}

fn text(item: &HashMap<String, AttributeValue>, name: &str) -> Option<String> {
    item.get(name)?.as_s().ok().cloned()
}

/// An item as an assignment; `None` when a field the lookup needs is missing or unreadable
/// (an item edited by hand), which then counts as no assignment.
fn assignment_of(caller: &CallerNumber, item: &HashMap<String, AttributeValue>) -> Option<Assignment> {
    let expires_at = item.get("expiresAt")?.as_n().ok()?.parse::<i64>().ok()?;
    Some(Assignment {
        caller: caller.clone(),
        agent_id: text(item, "agentId").filter(|id| !id.is_empty())?,
        agent_arn: text(item, "agentArn").unwrap_or_default(),
        contact_id: text(item, "contactId").unwrap_or_default(),
        updated_at: text(item, "updatedAt")?.parse().ok()?,
        expires_at: DateTime::<Utc>::from_timestamp(expires_at, 0)?,
    })
}

/// The item an assignment is stored as (also used to seed tables in bulk).
pub fn assignment_item(assignment: &Assignment) -> HashMap<String, AttributeValue> {
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let mut item = HashMap::from([
        ("phoneNumber".to_owned(), s(assignment.caller.as_e164())),
        ("agentId".to_owned(), s(&assignment.agent_id)),
        ("contactId".to_owned(), s(&assignment.contact_id)),
        ("updatedAt".to_owned(), s(&stored_time(assignment.updated_at))),
        ("expiresAt".to_owned(), AttributeValue::N(assignment.expires_at.timestamp().to_string())),
    ]);
    if !assignment.agent_arn.is_empty() {
        item.insert("agentArn".to_owned(), s(&assignment.agent_arn));
    }
    item
}

impl AssignmentStore for DynamoAssignmentStore {
    type Error = DynamoError;

    async fn find(&self, caller: &CallerNumber) -> Result<Option<Assignment>, DynamoError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("phoneNumber", AttributeValue::S(caller.as_e164().to_owned()))
            // A caller who rings straight back must find the assignment just written.
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| DynamoError::new("GetItem", &self.table, e))?;
        let Some(item) = output.item else { return Ok(None) };
        let assignment = assignment_of(caller, &item);
        if assignment.is_none() {
            tracing::warn!(caller = %caller, table = self.table, "assignment item unreadable; treated as none");
        }
        Ok(assignment)
    }

    async fn record(&self, assignment: &Assignment) -> Result<RecordOutcome, DynamoError> {
        let written = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(assignment_item(assignment)))
            .condition_expression(NEWER_OR_SAME_CONTACT)
            .expression_attribute_values(":contactId", AttributeValue::S(assignment.contact_id.clone()))
            .expression_attribute_values(":updatedAt", AttributeValue::S(stored_time(assignment.updated_at)))
            .send()
            .await;
        match written {
            Ok(_) => Ok(RecordOutcome::Written),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_conditional_check_failed_exception()) => {
                Ok(RecordOutcome::Superseded)
            }
            Err(e) => Err(DynamoError::new("PutItem", &self.table, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{http_response, mocked_client};
    use aws_sdk_dynamodb::operation::get_item::{GetItemError, GetItemOutput};
    use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemOutput};
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_smithy_mocks::{Rule, mock};
    use aws_smithy_types::error::ErrorMetadata;
    use connect_core::ports::error_chain;

    async fn store(rules: &[&Rule]) -> DynamoAssignmentStore {
        let client = mocked_client!(aws_sdk_dynamodb, crate::CallProfile::ContactFlow, rules);
        DynamoAssignmentStore::new(client, "assignments")
    }

    fn caller() -> CallerNumber {
        CallerNumber::parse("+819012345678").unwrap()
    }

    fn assignment() -> Assignment {
        Assignment::new(
            caller(),
            "a-1".into(),
            String::new(),
            "c-1".into(),
            "2026-11-21T09:00:00Z".parse().unwrap(),
            90,
        )
    }

    fn throttled() -> GetItemError {
        GetItemError::generic(ErrorMetadata::builder().code("ThrottlingException").message("Rate exceeded").build())
    }

    #[tokio::test]
    async fn items_round_trip_and_the_write_is_conditional() {
        let put = mock!(Client::put_item)
            .match_requests(|r| {
                r.condition_expression() == Some(NEWER_OR_SAME_CONTACT)
                    && r.item().is_some_and(|item| item == &assignment_item(&assignment()))
                    && !r.item().is_some_and(|item| item.contains_key("agentArn"))
            })
            .then_output(|| PutItemOutput::builder().build());
        let get = mock!(Client::get_item)
            .match_requests(|r| r.consistent_read() == Some(true))
            .then_output(|| GetItemOutput::builder().set_item(Some(assignment_item(&assignment()))).build());
        let store = store(&[&put, &get]).await;
        assert_eq!(store.record(&assignment()).await.unwrap(), RecordOutcome::Written);
        assert_eq!(store.find(&caller()).await.unwrap(), Some(assignment()));
    }

    #[tokio::test]
    async fn a_failed_condition_means_a_newer_assignment_exists() {
        let refused = mock!(Client::put_item).then_error(|| {
            PutItemError::ConditionalCheckFailedException(ConditionalCheckFailedException::builder().build())
        });
        assert_eq!(store(&[&refused]).await.record(&assignment()).await.unwrap(), RecordOutcome::Superseded);
        assert_eq!(refused.num_calls(), 1, "a refused condition is an answer, not retried");
    }

    #[tokio::test]
    async fn unreadable_items_count_as_none() {
        let mut item = assignment_item(&assignment());
        item.insert("expiresAt".into(), AttributeValue::S("soon".into()));
        let get =
            mock!(Client::get_item).then_output(move || GetItemOutput::builder().set_item(Some(item.clone())).build());
        assert_eq!(store(&[&get]).await.find(&caller()).await.unwrap(), None);
    }

    #[tokio::test]
    async fn throttling_is_retried_once_then_reported() {
        let slow_then_ok =
            mock!(Client::get_item).sequence().error(throttled).output(|| GetItemOutput::builder().build()).build();
        assert_eq!(store(&[&slow_then_ok]).await.find(&caller()).await.unwrap(), None);
        assert_eq!(slow_then_ok.num_calls(), 2);

        let slow = mock!(Client::get_item).sequence().error(throttled).times(2).build();
        let err = store(&[&slow]).await.find(&caller()).await.unwrap_err();
        assert_eq!(slow.num_calls(), 2);
        assert!(error_chain(&err).contains("GetItem on table assignments"), "{}", error_chain(&err));
    }

    #[tokio::test]
    async fn warm_up_describes_the_table_once_and_tolerates_failure() {
        use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
        let described = mock!(Client::describe_table)
            .match_requests(|r| r.table_name() == Some("assignments"))
            .then_output(|| DescribeTableOutput::builder().build());
        store(&[&described]).await.warm_up().await;
        assert_eq!(described.num_calls(), 1);
        let denied = mock!(Client::describe_table).then_http_response(|| {
            http_response(400, r#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"no"}"#)
        });
        store(&[&denied]).await.warm_up().await;
        assert_eq!(denied.num_calls(), 1, "logged, not retried, not fatal");
    }

    #[tokio::test]
    async fn access_denied_is_not_retried() {
        let denied = mock!(Client::put_item).then_http_response(|| {
            http_response(400, r#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"no"}"#)
        });
        let never = mock!(Client::put_item).then_output(|| PutItemOutput::builder().build());
        let err = store(&[&denied, &never]).await.record(&assignment()).await.unwrap_err();
        assert_eq!((denied.num_calls(), never.num_calls()), (1, 0));
        assert!(error_chain(&err).contains("AccessDenied"), "{}", error_chain(&err));
    }
}
