//! The customers table (`phoneNumber` key) as outbound campaigns use it. Every write is one
//! conditional UpdateItem on the campaign's attributes only, so the customer's own attributes
//! are never rewritten and concurrent writers never lose each other's changes. Rows still to
//! call are read from the sparse `to-call` index (`toCall` = campaign, `toCallAt` = due time),
//! page by page: never a Scan of the table.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure, Select};
use chrono::{DateTime, Utc};
use connect_core::assignments::stored_time;
use connect_core::campaign::{
    Campaign, CampaignRow, CampaignState, Choice, ChoiceWrite, DO_NOT_CALL, RowStatus, TIME_ZONE_ATTRIBUTE, TO_CALL,
    TO_CALL_AT,
};
use connect_core::ports::{CampaignTable, RowPage};

use crate::dynamodb::DynamoError;

/// The index the stack creates; `TO_CALL_INDEX` names another.
pub const TO_CALL_INDEX: &str = "to-call";
/// Rows per Query page: a run reads a page only when it has dialed the previous one.
const PAGE_SIZE: i32 = 50;
/// Pages a pending count reads at most: about 4 MB of rows, some 500 read units.
const PENDING_COUNT_PAGES: usize = 4;

/// A contact placed by the dialer carries its attempt token: its answer is written while the row
/// is on that attempt (or holds that contact), whatever the dialer wrote since.
const ATTEMPT_CHOICE: &str = "attribute_exists(phoneNumber) AND (#contactId = :contactId OR #attempt = :attempt)";
/// A contact placed some other way: written when the row holds this contact, has never been
/// written, or was last changed no later than this contact was placed.
const TIMED_CHOICE: &str = "attribute_exists(phoneNumber) AND (#contactId = :contactId OR attribute_not_exists(#updatedAt) \
     OR #updatedAt <= :placedAt)";

#[derive(Debug, Clone)]
pub struct DynamoCampaignTable {
    client: Client,
    table: String,
    index: String,
}

impl DynamoCampaignTable {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoCampaignTable { client, table: table.into(), index: TO_CALL_INDEX.to_owned() }
    }

    pub fn from_conf(conf: &SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(conf), table)
    }

    pub fn with_index(self, index: impl Into<String>) -> Self {
        DynamoCampaignTable { index: index.into(), ..self }
    }

    /// Opens the connection and checks the table during init (see `dynamodb::warm_up_table`).
    pub async fn warm_up(&self) {
        crate::dynamodb::warm_up_table(&self.client, &self.table).await;
    }

    /// A conditional UpdateItem on one row, with the campaign's attribute names bound to the
    /// placeholders the expressions use.
    /// A Query of the campaign's part of the to-call index, `#toCall = :campaign` bound.
    fn to_call_query(&self, campaign: &Campaign, key_condition: &str) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(&self.index)
            .key_condition_expression(key_condition)
            .expression_attribute_names("#toCall", TO_CALL)
            .expression_attribute_values(":campaign", text(campaign.status_attribute()))
    }

    fn conditional_update(
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
}

/// The placeholders `expressions` use, bound to the campaign's attributes: DynamoDB refuses a
/// request that binds a name none of its expressions uses.
fn attribute_names(campaign: &Campaign, expressions: &[&str]) -> HashMap<String, String> {
    [
        ("#status", campaign.status_attribute().to_owned()),
        ("#updatedAt", campaign.updated_at_attribute()),
        ("#contactId", campaign.contact_id_attribute()),
        ("#attempts", campaign.attempts_attribute()),
        ("#attempt", campaign.attempt_attribute()),
        ("#toCallAt", TO_CALL_AT.to_owned()),
        ("#toCall", TO_CALL.to_owned()),
        ("#doNotCall", DO_NOT_CALL.to_owned()),
        ("#reason", campaign.reason_attribute()),
    ]
    .into_iter()
    // `#attempt` is a prefix of `#attempts` (and `#toCall` of `#toCallAt`): match whole names.
    .filter(|(placeholder, _)| expressions.iter().any(|e| uses(e, placeholder)))
    .map(|(placeholder, name)| (placeholder.to_owned(), name))
    .collect()
}

fn uses(expression: &str, placeholder: &str) -> bool {
    expression
        .match_indices(placeholder)
        .any(|(i, _)| !expression[i + placeholder.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
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

fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

/// `DO_NOT_CALL` as people set it by hand: `true`, `"true"`, `"yes"`, `"1"` or a non-zero number.
fn truthy(value: Option<&AttributeValue>) -> bool {
    match value {
        Some(AttributeValue::Bool(b)) => *b,
        Some(AttributeValue::S(s)) => matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "yes" | "1"),
        Some(AttributeValue::N(n)) => n.parse::<f64>().is_ok_and(|n| n != 0.0),
        _ => false,
    }
}

/// An index item as a row; `None` for items whose status is not a known code.
fn row_of(campaign: &Campaign, item: &HashMap<String, AttributeValue>) -> Option<CampaignRow> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().filter(|t| !t.is_empty());
    let number = |name: &str| item.get(name).and_then(|v| v.as_n().ok()).and_then(|n| n.parse::<i64>().ok());
    let when = |name: &str| text(name).and_then(|t| t.parse::<DateTime<Utc>>().ok());
    Some(CampaignRow {
        phone_number: text("phoneNumber")?,
        state: CampaignState {
            status: RowStatus::from_code(number(campaign.status_attribute())?)?,
            attempt: text(&campaign.attempt_attribute()),
            attempts: number(&campaign.attempts_attribute()).and_then(|n| u32::try_from(n).ok()).unwrap_or(0),
            contact_id: text(&campaign.contact_id_attribute()),
            updated_at: when(&campaign.updated_at_attribute()),
            // an unreadable due time counts as due now
            to_call_at: Some(when(TO_CALL_AT).unwrap_or(DateTime::<Utc>::UNIX_EPOCH)),
            reason: text(&campaign.reason_attribute()),
        },
        do_not_call: truthy(item.get(DO_NOT_CALL)),
        time_zone: text(TIME_ZONE_ATTRIBUTE),
    })
}

/// The index position after `item`, as text the next call gives back.
fn page_token(item: &HashMap<String, AttributeValue>) -> Option<String> {
    let key: HashMap<&str, &str> = ["phoneNumber", TO_CALL, TO_CALL_AT]
        .into_iter()
        .filter_map(|name| Some((name, item.get(name)?.as_s().ok()?.as_str())))
        .collect();
    serde_json::to_string(&key).ok()
}

fn start_key(token: &str) -> Option<HashMap<String, AttributeValue>> {
    let key: HashMap<String, String> = serde_json::from_str(token).ok()?;
    Some(key.into_iter().map(|(name, value)| (name, AttributeValue::S(value))).collect())
}

/// The update that writes `new` over the campaign's attributes: SET what has a value, REMOVE
/// what has none, so a restored row is the row as it was.
fn state_update(new: &CampaignState) -> String {
    let mut set = vec!["#status = :status"];
    let mut remove = Vec::new();
    for (present, assign, attribute) in [
        (new.attempt.is_some(), "#attempt = :attempt", "#attempt"),
        (new.attempts > 0, "#attempts = :attempts", "#attempts"),
        (new.contact_id.is_some(), "#contactId = :contactId", "#contactId"),
        (new.updated_at.is_some(), "#updatedAt = :updatedAt", "#updatedAt"),
        (new.reason.is_some(), "#reason = :reason", "#reason"),
    ] {
        if present {
            set.push(assign);
        } else {
            remove.push(attribute);
        }
    }
    if new.to_call_at.is_some() {
        set.extend(["#toCall = :campaign", "#toCallAt = :toCallAt"]);
    } else {
        remove.extend(["#toCall", "#toCallAt"]);
    }
    let mut update = format!("SET {}", set.join(", "));
    if !remove.is_empty() {
        update.push_str(&format!(" REMOVE {}", remove.join(", ")));
    }
    update
}

/// The row is still as the dialer saw it: same status, attempt and contact.
fn state_condition(seen: &CampaignState) -> String {
    let attempt = if seen.attempt.is_some() { "#attempt = :seenAttempt" } else { "attribute_not_exists(#attempt)" };
    let contact =
        if seen.contact_id.is_some() { "#contactId = :seenContactId" } else { "attribute_not_exists(#contactId)" };
    format!("#status = :seenStatus AND {attempt} AND {contact}")
}

impl CampaignTable for DynamoCampaignTable {
    type Error = DynamoError;

    async fn due_rows(
        &self,
        campaign: &Campaign,
        due_by: DateTime<Utc>,
        after: Option<&str>,
    ) -> Result<RowPage, DynamoError> {
        let output = self
            .to_call_query(campaign, "#toCall = :campaign AND #toCallAt <= :due")
            .expression_attribute_names("#toCallAt", TO_CALL_AT)
            .expression_attribute_values(":due", time(due_by))
            .limit(PAGE_SIZE)
            .set_exclusive_start_key(after.and_then(start_key))
            .send()
            .await
            .map_err(|e| DynamoError::new("Query", &self.table, e))?;
        let items = output.items();
        Ok(RowPage {
            rows: items.iter().filter_map(|item| row_of(campaign, item)).collect(),
            next: output.last_evaluated_key().and_then(page_token),
        })
    }

    /// A COUNT query of the campaign's part of the index, at most [`PENDING_COUNT_PAGES`] pages
    /// (DynamoDB reads up to 1 MB per page even to count): past that, the count so far.
    async fn pending_count(&self, campaign: &Campaign) -> Result<u64, DynamoError> {
        let mut count = 0u64;
        let mut start = None;
        for _ in 0..PENDING_COUNT_PAGES {
            let output = self
                .to_call_query(campaign, "#toCall = :campaign")
                .select(Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| DynamoError::new("Query", &self.table, e))?;
            count += u64::try_from(output.count()).unwrap_or_default();
            start = output.last_evaluated_key().cloned();
            if start.is_none() {
                break;
            }
        }
        Ok(count)
    }

    async fn update(
        &self,
        campaign: &Campaign,
        phone_number: &str,
        seen: &CampaignState,
        new: &CampaignState,
    ) -> Result<bool, DynamoError> {
        let update = state_update(new);
        let condition = state_condition(seen);
        let mut request = self.conditional_update(campaign, phone_number, &update, &condition);
        let values = [
            (":status", Some(code(new.status))),
            (":seenStatus", Some(code(seen.status))),
            (":attempt", new.attempt.as_deref().map(text)),
            (":attempts", (new.attempts > 0).then(|| AttributeValue::N(new.attempts.to_string()))),
            (":contactId", new.contact_id.as_deref().map(text)),
            (":updatedAt", new.updated_at.map(time)),
            (":reason", new.reason.as_deref().map(text)),
            (":toCallAt", new.to_call_at.map(time)),
            (":campaign", new.to_call_at.map(|_| text(campaign.status_attribute()))),
            (":seenAttempt", seen.attempt.as_deref().map(text)),
            (":seenContactId", seen.contact_id.as_deref().map(text)),
        ];
        for (name, value) in values {
            if let Some(value) = value {
                request = request.expression_attribute_values(name, value);
            }
        }
        match request.send().await {
            Ok(_) => Ok(true),
            Err(e) if condition_failed(&e) => Ok(false),
            Err(e) => Err(DynamoError::new("UpdateItem", &self.table, e)),
        }
    }

    async fn record_choice(&self, campaign: &Campaign, choice: &Choice) -> Result<ChoiceWrite, DynamoError> {
        let mut update = "SET #status = :status, #updatedAt = :at, #contactId = :contactId".to_owned();
        if choice.status == RowStatus::OptedOut {
            update.push_str(", #doNotCall = :true");
        }
        // An answer ends the customer's part; no input and a failed transfer are retried like an
        // unanswered call: back in the index, due again then.
        if choice.due_again.is_some() {
            update.push_str(", #toCall = :campaign, #toCallAt = :toCallAt");
        } else if choice.status.answered() {
            update.push_str(" REMOVE #toCall, #toCallAt");
        }
        let condition = if choice.attempt.is_some() { ATTEMPT_CHOICE } else { TIMED_CHOICE };
        let mut request = self
            .conditional_update(campaign, choice.customer.as_e164(), &update, condition)
            .expression_attribute_values(":status", code(choice.status))
            .expression_attribute_values(":at", time(choice.recorded_at))
            .expression_attribute_values(":contactId", text(&choice.contact_id))
            // On a failed condition the old item tells "no such customer" from "a later answer".
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        request = match &choice.attempt {
            Some(token) => request.expression_attribute_values(":attempt", text(token)),
            None => request.expression_attribute_values(":placedAt", time(choice.placed_at)),
        };
        if choice.status == RowStatus::OptedOut {
            request = request.expression_attribute_values(":true", AttributeValue::Bool(true));
        }
        if let Some(due) = choice.due_again {
            request = request
                .expression_attribute_values(":campaign", text(campaign.status_attribute()))
                .expression_attribute_values(":toCallAt", time(due));
        }
        match request.send().await {
            Ok(_) => Ok(ChoiceWrite::Recorded),
            Err(e) => match e.as_service_error() {
                Some(UpdateItemError::ConditionalCheckFailedException(refused)) => {
                    Ok(if refused.item().is_some_and(|item| !item.is_empty()) {
                        ChoiceWrite::Superseded
                    } else {
                        ChoiceWrite::UnknownCustomer
                    })
                }
                _ => Err(DynamoError::new("UpdateItem", &self.table, e)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{http_response, mocked_client};
    use aws_sdk_dynamodb::operation::query::QueryOutput;
    use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
    use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
    use aws_smithy_mocks::{Rule, mock};
    use connect_core::campaign::RetryPolicy;
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

    fn choice(attempt: Option<&str>, status: RowStatus) -> Choice {
        Choice {
            customer: CallerNumber::parse(NUMBER).unwrap(),
            status,
            contact_id: "c-1".into(),
            attempt: attempt.map(str::to_owned),
            placed_at: at(),
            recorded_at: at(),
            due_again: None,
        }
    }

    fn refused(item: Option<HashMap<String, AttributeValue>>) -> UpdateItemError {
        UpdateItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder().set_item(item).build(),
        )
    }

    /// Every placeholder an expression uses is bound, and nothing else: what DynamoDB checks.
    fn bound_exactly(r: &aws_sdk_dynamodb::operation::update_item::UpdateItemInput) -> bool {
        let expressions = [r.update_expression().unwrap_or(""), r.condition_expression().unwrap_or("")].join(" ");
        let words: Vec<&str> =
            expressions.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '#' | ':' | '_'))).collect();
        let used = |prefix: char| {
            let mut names: Vec<String> =
                words.iter().filter(|w| w.starts_with(prefix)).map(|w| w.to_string()).collect();
            names.sort();
            names.dedup();
            names
        };
        let mut names: Vec<String> = r.expression_attribute_names().cloned().unwrap_or_default().into_keys().collect();
        let mut values: Vec<String> =
            r.expression_attribute_values().cloned().unwrap_or_default().into_keys().collect();
        names.sort();
        values.sort();
        names == used('#') && values == used(':')
    }

    #[tokio::test]
    async fn an_answer_to_an_attempt_is_one_conditional_update_on_its_token() {
        let update = mock!(Client::update_item)
            .match_requests(|r| {
                let names = r.expression_attribute_names().cloned().unwrap_or_default();
                r.condition_expression() == Some(ATTEMPT_CHOICE)
                    && names.get("#attempt").map(String::as_str) == Some("spring_attempt")
                    && r.update_expression().is_some_and(|u| u.contains("REMOVE #toCall, #toCallAt"))
                    && r.expression_attribute_values().and_then(|v| v.get(":attempt")) == Some(&text("token-1"))
                    && r.return_values_on_condition_check_failure()
                        == Some(&ReturnValuesOnConditionCheckFailure::AllOld)
                    && bound_exactly(r)
            })
            .then_output(|| UpdateItemOutput::builder().build());
        let table = table(&[&update]).await;
        let written = table.record_choice(&campaign(), &choice(Some("token-1"), RowStatus::Email)).await.unwrap();
        assert_eq!((written, update.num_calls()), (ChoiceWrite::Recorded, 1));
    }

    #[tokio::test]
    async fn opting_out_sets_do_not_call_and_no_input_stays_to_call() {
        let opt_out = mock!(Client::update_item)
            .match_requests(|r| {
                r.update_expression().is_some_and(|u| u.contains("#doNotCall = :true") && u.contains("REMOVE"))
                    && bound_exactly(r)
            })
            .then_output(|| UpdateItemOutput::builder().build());
        let no_input = mock!(Client::update_item)
            .match_requests(|r| {
                let values = r.expression_attribute_values().cloned().unwrap_or_default();
                r.update_expression().is_some_and(|u| {
                    !u.contains("REMOVE")
                        && !u.contains("doNotCall")
                        && u.ends_with("#toCall = :campaign, #toCallAt = :toCallAt")
                }) && r.condition_expression() == Some(TIMED_CHOICE)
                    && values.get(":toCallAt") == Some(&text("2026-11-21T10:00:00.000Z"))
                    && values.get(":campaign") == Some(&text("spring"))
                    && bound_exactly(r)
            })
            .then_output(|| UpdateItemOutput::builder().build());
        let table = table(&[&opt_out, &no_input]).await;
        table.record_choice(&campaign(), &choice(Some("t"), RowStatus::OptedOut)).await.unwrap();
        let retried =
            Choice { due_again: Some(at() + chrono::TimeDelta::hours(1)), ..choice(None, RowStatus::NoAnswer) };
        table.record_choice(&campaign(), &retried).await.unwrap();
        assert_eq!((opt_out.num_calls(), no_input.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_refused_answer_is_superseded_when_the_row_exists_else_unknown() {
        let item = HashMap::from([("phoneNumber".to_owned(), AttributeValue::S(NUMBER.into()))]);
        let later = mock!(Client::update_item).then_error(move || refused(Some(item.clone())));
        let written = table(&[&later]).await.record_choice(&campaign(), &choice(None, RowStatus::Email)).await;
        assert_eq!(written.unwrap(), ChoiceWrite::Superseded);
        let missing = mock!(Client::update_item).then_error(|| refused(None));
        let written = table(&[&missing]).await.record_choice(&campaign(), &choice(None, RowStatus::Email)).await;
        assert_eq!(written.unwrap(), ChoiceWrite::UnknownCustomer);
    }

    #[test]
    fn a_state_write_sets_what_has_a_value_and_removes_the_rest() {
        let pending = CampaignState::pending(at());
        assert_eq!(
            state_update(&pending),
            "SET #status = :status, #toCall = :campaign, #toCallAt = :toCallAt \
             REMOVE #attempt, #attempts, #contactId, #updatedAt, #reason"
        );
        let claimed = pending.claimed("t-1".into(), at(), at());
        assert_eq!(
            state_update(&claimed),
            "SET #status = :status, #attempt = :attempt, #attempts = :attempts, #updatedAt = :updatedAt, \
             #toCall = :campaign, #toCallAt = :toCallAt REMOVE #contactId, #reason"
        );
        let policy = RetryPolicy { retry_after: chrono::TimeDelta::minutes(1), max_attempts: 1 };
        let done = claimed.placed("c-1").unanswered(at(), policy);
        assert!(state_update(&done).ends_with("REMOVE #reason, #toCall, #toCallAt"), "{}", state_update(&done));
        let failed = claimed.failed("unknown time zone: Mars/Base", at());
        assert_eq!(
            state_update(&failed),
            "SET #status = :status, #attempt = :attempt, #attempts = :attempts, #updatedAt = :updatedAt, \
             #reason = :reason REMOVE #contactId, #toCall, #toCallAt"
        );
        assert_eq!(
            state_condition(&claimed),
            "#status = :seenStatus AND #attempt = :seenAttempt AND attribute_not_exists(#contactId)"
        );
        assert_eq!(
            state_condition(&pending),
            "#status = :seenStatus AND attribute_not_exists(#attempt) AND attribute_not_exists(#contactId)"
        );
    }

    #[tokio::test]
    async fn a_claim_binds_exactly_what_it_uses_and_a_lost_race_is_an_answer() {
        let pending = CampaignState::pending(at());
        let claimed = pending.claimed("t-1".into(), at(), at());
        let claim = mock!(Client::update_item)
            .match_requests(|r| {
                let values = r.expression_attribute_values().cloned().unwrap_or_default();
                bound_exactly(r)
                    && values.get(":campaign") == Some(&text("spring"))
                    && values.get(":seenStatus") == Some(&code(RowStatus::Pending))
                    && values.get(":status") == Some(&code(RowStatus::Dialing))
            })
            .then_output(|| UpdateItemOutput::builder().build());
        let lost = mock!(Client::update_item).then_error(|| refused(None));
        let failed = mock!(Client::update_item)
            .match_requests(|r| {
                let names = r.expression_attribute_names().cloned().unwrap_or_default();
                let values = r.expression_attribute_values().cloned().unwrap_or_default();
                bound_exactly(r)
                    && names.get("#reason").map(String::as_str) == Some("spring_reason")
                    && values.get(":reason") == Some(&text("unknown time zone: Mars/Base"))
                    && values.get(":status") == Some(&code(RowStatus::FailedToDial))
            })
            .then_output(|| UpdateItemOutput::builder().build());
        let table = table(&[&claim, &lost, &failed]).await;
        assert!(table.update(&campaign(), NUMBER, &pending, &claimed).await.unwrap());
        assert!(!table.update(&campaign(), NUMBER, &pending, &claimed).await.unwrap());
        assert_eq!((claim.num_calls(), lost.num_calls()), (1, 1), "a lost race is not retried");
        let ended = pending.failed("unknown time zone: Mars/Base", at());
        assert!(table.update(&campaign(), NUMBER, &pending, &ended).await.unwrap());
        assert_eq!(failed.num_calls(), 1, "the reason is written with the final state");
    }

    #[tokio::test]
    async fn a_throttled_table_is_an_error_after_the_background_attempts() {
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
        let pending = CampaignState::pending(at());
        let claimed = pending.claimed("t".into(), at(), at());
        let err = table(&[&throttled]).await.update(&campaign(), NUMBER, &pending, &claimed).await.unwrap_err();
        assert_eq!(throttled.num_calls(), 5, "the background profile makes five attempts");
        assert!(error_chain(&err).contains("UpdateItem on table customers"), "{}", error_chain(&err));
    }

    #[tokio::test]
    async fn pending_rows_are_counted_from_the_index_within_a_bounded_number_of_pages() {
        let key = HashMap::from([("phoneNumber".to_owned(), text("+8111"))]);
        let counted = mock!(Client::query)
            .match_requests(|r| {
                r.select() == Some(&Select::Count)
                    && r.index_name() == Some("to-call")
                    && r.key_condition_expression() == Some("#toCall = :campaign")
            })
            .sequence()
            .output(move || QueryOutput::builder().count(3).set_last_evaluated_key(Some(key.clone())).build())
            .repeatedly()
            .build();
        let table = table(&[&counted]).await;
        assert_eq!(table.pending_count(&campaign()).await.unwrap(), 3 * PENDING_COUNT_PAGES as u64);
        assert_eq!(counted.num_calls(), PENDING_COUNT_PAGES, "no more pages than the bound");
    }

    #[tokio::test]
    async fn due_rows_are_queried_from_the_index_a_page_at_a_time() {
        let item = |number: &str, status: &str| {
            HashMap::from([
                ("phoneNumber".to_owned(), text(number)),
                ("spring".to_owned(), AttributeValue::N(status.into())),
                ("toCall".to_owned(), text("spring")),
                ("toCallAt".to_owned(), text("2026-11-21T08:00:00.000Z")),
                ("spring_attempt".to_owned(), text("t-9")),
                ("spring_attempts".to_owned(), AttributeValue::N("2".into())),
                ("DO_NOT_CALL".to_owned(), AttributeValue::S("yes".into())),
                ("timeZone".to_owned(), text("America/New_York")),
            ])
        };
        let (first, odd) = (item("+8111", "-1"), item("+8133", "7"));
        let last_key = HashMap::from([
            ("phoneNumber".to_owned(), text("+8111")),
            ("toCall".to_owned(), text("spring")),
            ("toCallAt".to_owned(), text("2026-11-21T08:00:00.000Z")),
        ]);
        let expected_start = last_key.clone();
        let page_one = mock!(Client::query)
            .match_requests(|r| {
                r.index_name() == Some("to-call")
                    && r.exclusive_start_key().is_none()
                    && r.key_condition_expression() == Some("#toCall = :campaign AND #toCallAt <= :due")
                    && r.expression_attribute_values().and_then(|v| v.get(":due"))
                        == Some(&text("2026-11-21T09:00:00.000Z"))
                    && r.limit() == Some(PAGE_SIZE)
            })
            .then_output(move || {
                QueryOutput::builder().items(first.clone()).set_last_evaluated_key(Some(last_key.clone())).build()
            });
        let page_two = mock!(Client::query)
            .match_requests(move |r| r.exclusive_start_key() == Some(&expected_start))
            .then_output(move || QueryOutput::builder().items(odd.clone()).build());
        let table = table(&[&page_one, &page_two]).await;
        let page = table.due_rows(&campaign(), at(), None).await.unwrap();
        let row = &page.rows[0];
        assert_eq!((row.phone_number.as_str(), row.state.status, row.state.attempts), ("+8111", RowStatus::Pending, 2));
        assert_eq!((row.state.attempt.as_deref(), row.do_not_call), (Some("t-9"), true));
        assert_eq!(row.time_zone.as_deref(), Some("America/New_York"));
        let next = page.next.expect("a second page");
        let page = table.due_rows(&campaign(), at(), Some(&next)).await.unwrap();
        assert!(page.rows.is_empty() && page.next.is_none(), "an unknown code is skipped: {page:?}");
        assert_eq!((page_one.num_calls(), page_two.num_calls()), (1, 1));
    }

    #[test]
    fn do_not_call_as_people_write_it() {
        for (value, expected) in [
            (AttributeValue::Bool(true), true),
            (AttributeValue::Bool(false), false),
            (AttributeValue::S("TRUE".into()), true),
            (AttributeValue::S("no".into()), false),
            (AttributeValue::N("1".into()), true),
            (AttributeValue::N("0".into()), false),
        ] {
            assert_eq!(truthy(Some(&value)), expected, "{value:?}");
        }
        assert!(!truthy(None));
    }
}
