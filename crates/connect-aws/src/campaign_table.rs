//! The customers table (`phoneNumber` key) as outbound campaigns use it. Every write is one
//! conditional UpdateItem on the campaign's attributes only, so the customer's own attributes
//! are never rewritten and concurrent writers never lose each other's changes.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use connect_core::assignments::stored_time;
use connect_core::campaign::{Campaign, CampaignRow, Choice, ChoiceWrite, RowStatus};
use connect_core::ports::CampaignTable;

use crate::dynamodb::DynamoError;

/// A keypad answer is written on an existing row when the row holds this contact (a retry),
/// has never been written, or was last changed no later than this contact was placed; a row
/// changed by a later contact (or claimed for one) keeps that contact's state.
const CHOICE_UPDATE: &str = "SET #status = :status, #updatedAt = :at, #contactId = :contactId";
const CHOICE_CONDITION: &str = "attribute_exists(phoneNumber) AND (#contactId = :contactId OR attribute_not_exists(#updatedAt) \
     OR #updatedAt <= :placedAt)";

#[derive(Debug, Clone)]
pub struct DynamoCampaignTable {
    client: Client,
    table: String,
}

impl DynamoCampaignTable {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoCampaignTable { client, table: table.into() }
    }

    pub fn from_conf(conf: &SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(conf), table)
    }

    /// Opens the connection and checks the table during init (see `dynamodb::warm_up_table`).
    pub async fn warm_up(&self) {
        crate::dynamodb::warm_up_table(&self.client, &self.table).await;
    }

    fn error(
        &self,
        operation: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> DynamoError {
        DynamoError { operation, table: self.table.clone(), source: source.into() }
    }

    /// A conditional UpdateItem on one row, with the campaign's attribute names bound to the
    /// placeholders the expressions use (`#status`, `#updatedAt`, `#contactId`, `#calls`).
    fn update(
        &self,
        campaign: &Campaign,
        phone_number: &str,
        update: &str,
        condition: &str,
    ) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("phoneNumber", AttributeValue::S(phone_number.to_owned()))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(attribute_names(campaign, &[update, condition])))
    }

    /// Runs a conditional update: `Ok(true)` when written, `Ok(false)` when the condition failed.
    async fn conditional(&self, update: UpdateItemFluentBuilder) -> Result<bool, DynamoError> {
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(self.error("UpdateItem", e)),
        }
    }
}

/// The placeholders `expressions` use, bound to the campaign's attributes: DynamoDB refuses a
/// request that binds a name none of its expressions uses.
fn attribute_names(campaign: &Campaign, expressions: &[&str]) -> HashMap<String, String> {
    [
        ("#status", campaign.status_attribute().to_owned()),
        ("#updatedAt", campaign.updated_at_attribute()),
        ("#contactId", campaign.contact_id_attribute()),
        ("#calls", campaign.calls_attribute()),
    ]
    .into_iter()
    .filter(|(placeholder, _)| expressions.iter().any(|e| e.contains(placeholder)))
    .map(|(placeholder, name)| (placeholder.to_owned(), name))
    .collect()
}

fn condition_failed(error: &SdkError<UpdateItemError, aws_sdk_dynamodb::config::http::HttpResponse>) -> bool {
    error.as_service_error().is_some_and(UpdateItemError::is_conditional_check_failed_exception)
}

fn code(status: RowStatus) -> AttributeValue {
    AttributeValue::N(status.code().to_string())
}

fn time(at: DateTime<Utc>) -> AttributeValue {
    AttributeValue::S(stored_time(at))
}

/// A scanned item as an open row; `None` for items whose status is not a known code.
fn row_of(campaign: &Campaign, item: &HashMap<String, AttributeValue>) -> Option<CampaignRow> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let number = |name: &str| item.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok());
    Some(CampaignRow {
        phone_number: text("phoneNumber")?,
        status: RowStatus::from_code(number(campaign.status_attribute())?)?,
        contact_id: text(&campaign.contact_id_attribute()).filter(|id| !id.is_empty()),
        updated_at: text(&campaign.updated_at_attribute()).and_then(|t| t.parse().ok()),
        calls_placed: number(&campaign.calls_attribute()).and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
    })
}

impl CampaignTable for DynamoCampaignTable {
    type Error = DynamoError;

    async fn open_rows(&self, campaign: &Campaign) -> Result<Vec<CampaignRow>, DynamoError> {
        const FILTER: &str = "#status IN (:pending, :dialing)";
        const PROJECTION: &str = "phoneNumber, #status, #updatedAt, #contactId, #calls";
        let items: Vec<HashMap<String, AttributeValue>> = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression(FILTER)
            .projection_expression(PROJECTION)
            .set_expression_attribute_names(Some(attribute_names(campaign, &[FILTER, PROJECTION])))
            .expression_attribute_values(":pending", code(RowStatus::Pending))
            .expression_attribute_values(":dialing", code(RowStatus::Dialing))
            // A row another run claimed a moment ago must not look pending.
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| self.error("Scan", e))?;
        Ok(items.iter().filter_map(|item| row_of(campaign, item)).collect())
    }

    async fn claim(&self, campaign: &Campaign, phone_number: &str, at: DateTime<Utc>) -> Result<bool, DynamoError> {
        // The previous contact's ID goes, so that contact's late answer cannot pass as this one's.
        let update = self
            .update(
                campaign,
                phone_number,
                "SET #status = :dialing, #updatedAt = :at REMOVE #contactId",
                "#status = :pending",
            )
            .expression_attribute_values(":dialing", code(RowStatus::Dialing))
            .expression_attribute_values(":pending", code(RowStatus::Pending))
            .expression_attribute_values(":at", time(at));
        self.conditional(update).await
    }

    async fn dialed(
        &self,
        campaign: &Campaign,
        phone_number: &str,
        contact_id: &str,
        _at: DateTime<Utc>,
    ) -> Result<(), DynamoError> {
        // Status and time stay: the customer may already have answered.
        let update = self
            .update(
                campaign,
                phone_number,
                "SET #contactId = :contactId ADD #calls :one",
                "attribute_exists(phoneNumber)",
            )
            .expression_attribute_values(":contactId", AttributeValue::S(contact_id.to_owned()))
            .expression_attribute_values(":one", AttributeValue::N("1".to_owned()));
        if !self.conditional(update).await? {
            tracing::warn!(contact_id, table = self.table, "the row of a placed call is gone");
        }
        Ok(())
    }

    async fn settle(
        &self,
        campaign: &Campaign,
        phone_number: &str,
        status: RowStatus,
        contact_id: Option<&str>,
        at: DateTime<Utc>,
    ) -> Result<bool, DynamoError> {
        let condition = match contact_id {
            Some(_) => "#status = :dialing AND #contactId = :contactId",
            None => "#status = :dialing",
        };
        let mut update = self
            .update(campaign, phone_number, "SET #status = :status, #updatedAt = :at", condition)
            .expression_attribute_values(":status", code(status))
            .expression_attribute_values(":dialing", code(RowStatus::Dialing))
            .expression_attribute_values(":at", time(at));
        if let Some(id) = contact_id {
            update = update.expression_attribute_values(":contactId", AttributeValue::S(id.to_owned()));
        }
        self.conditional(update).await
    }

    async fn record_choice(&self, campaign: &Campaign, choice: &Choice) -> Result<ChoiceWrite, DynamoError> {
        let written = self
            .update(campaign, choice.customer.as_e164(), CHOICE_UPDATE, CHOICE_CONDITION)
            .expression_attribute_values(":status", code(choice.status))
            .expression_attribute_values(":at", time(choice.recorded_at))
            .expression_attribute_values(":placedAt", time(choice.placed_at))
            .expression_attribute_values(":contactId", AttributeValue::S(choice.contact_id.clone()))
            // On a failed condition the old item tells "no such customer" from "a later answer".
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match written {
            Ok(_) => Ok(ChoiceWrite::Recorded),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(refused)) => {
                    Ok(if refused.item().is_some_and(|item| !item.is_empty()) {
                        ChoiceWrite::Superseded
                    } else {
                        ChoiceWrite::UnknownCustomer
                    })
                }
                _ => Err(self.error("UpdateItem", e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{http_response, mocked_client};
    use aws_sdk_dynamodb::operation::scan::ScanOutput;
    use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_smithy_mocks::{Rule, mock};
    use connect_core::phone::CallerNumber;
    use connect_core::ports::error_chain;

    const NUMBER: &str = "+819012345678";

    async fn table(rules: &[&Rule]) -> DynamoCampaignTable {
        let client = mocked_client!(aws_sdk_dynamodb, crate::CallProfile::Background, rules);
        DynamoCampaignTable::new(client, "customers")
    }

    fn campaign() -> Campaign {
        Campaign::parse("spring").unwrap()
    }

    fn at() -> DateTime<Utc> {
        "2026-11-21T09:00:00Z".parse().unwrap()
    }

    fn choice() -> Choice {
        Choice {
            customer: CallerNumber::parse(NUMBER).unwrap(),
            status: RowStatus::Email,
            contact_id: "c-1".into(),
            placed_at: at(),
            recorded_at: at(),
        }
    }

    fn refused(item: Option<HashMap<String, AttributeValue>>) -> UpdateItemError {
        UpdateItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder().set_item(item).build(),
        )
    }

    #[tokio::test]
    async fn an_answer_is_one_conditional_update_of_the_campaign_attributes() {
        let update = mock!(Client::update_item)
            .match_requests(|r| {
                let names = r.expression_attribute_names().cloned().unwrap_or_default();
                r.condition_expression() == Some(CHOICE_CONDITION)
                    && names.get("#status").map(String::as_str) == Some("spring")
                    && names.get("#contactId").map(String::as_str) == Some("spring_contactId")
                    && !names.contains_key("#calls")
                    && r.expression_attribute_values().and_then(|v| v.get(":status")) == Some(&code(RowStatus::Email))
                    && r.return_values_on_condition_check_failure()
                        == Some(&ReturnValuesOnConditionCheckFailure::AllOld)
            })
            .then_output(|| UpdateItemOutput::builder().build());
        let table = table(&[&update]).await;
        assert_eq!(table.record_choice(&campaign(), &choice()).await.unwrap(), ChoiceWrite::Recorded);
        assert_eq!(update.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_refused_answer_is_superseded_when_the_row_exists_else_unknown() {
        let item = HashMap::from([("phoneNumber".to_owned(), AttributeValue::S(NUMBER.into()))]);
        let later = mock!(Client::update_item).then_error(move || refused(Some(item.clone())));
        assert_eq!(
            table(&[&later]).await.record_choice(&campaign(), &choice()).await.unwrap(),
            ChoiceWrite::Superseded
        );
        let missing = mock!(Client::update_item).then_error(|| refused(None));
        assert_eq!(
            table(&[&missing]).await.record_choice(&campaign(), &choice()).await.unwrap(),
            ChoiceWrite::UnknownCustomer
        );
    }

    #[tokio::test]
    async fn a_lost_claim_is_an_answer_and_a_throttled_one_an_error() {
        let lost = mock!(Client::update_item).then_error(|| refused(None));
        assert!(!table(&[&lost]).await.claim(&campaign(), NUMBER, at()).await.unwrap());
        assert_eq!(lost.num_calls(), 1, "not retried");

        let throttled = mock!(Client::update_item)
            .sequence()
            .http_response(|| {
                http_response(
                    400,
                    r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"slow down"}"#,
                )
            })
            .times(crate::bootstrap::BACKGROUND_ATTEMPTS as usize)
            .build();
        let err = table(&[&throttled]).await.claim(&campaign(), NUMBER, at()).await.unwrap_err();
        assert_eq!(throttled.num_calls(), 5, "the background profile makes five attempts");
        assert!(error_chain(&err).contains("UpdateItem on table customers"), "{}", error_chain(&err));
    }

    #[tokio::test]
    async fn open_rows_reads_every_page_and_skips_unknown_codes() {
        let item = |number: &str, status: &str| {
            HashMap::from([
                ("phoneNumber".to_owned(), AttributeValue::S(number.into())),
                ("spring".to_owned(), AttributeValue::N(status.into())),
            ])
        };
        let first = item("+8111", "-1");
        let second = item("+8122", "-3");
        let odd = item("+8133", "7");
        let scan = mock!(Client::scan)
            .sequence()
            .output(move || {
                ScanOutput::builder()
                    .items(first.clone())
                    .last_evaluated_key("phoneNumber", AttributeValue::S("+8111".into()))
                    .build()
            })
            .output(move || ScanOutput::builder().items(second.clone()).items(odd.clone()).build())
            .build();
        let rows = table(&[&scan]).await.open_rows(&campaign()).await.unwrap();
        let got: Vec<(&str, RowStatus)> = rows.iter().map(|r| (r.phone_number.as_str(), r.status)).collect();
        assert_eq!(got, [("+8111", RowStatus::Pending), ("+8122", RowStatus::Dialing)]);
        assert_eq!(scan.num_calls(), 2);
    }
}
