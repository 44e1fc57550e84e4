//! Turns a keypad answer into an outcome, records it with one conditional write, and answers
//! the flow with the message to play and whether to hang up. The message confirms the choice
//! only when it was written; the flow calls again with `transferFailed` when it could not put a
//! customer who chose to talk now through, and the row is then retried like a no answer.

use std::convert::Infallible;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use connect_aws::ANSWER_WITHIN;
use connect_core::campaign::{
    ATTEMPT_ATTRIBUTE, CAMPAIGN_ATTRIBUTE, Campaign, Choice, ChoiceMessages, ChoiceWrite, DIALED_AT_ATTRIBUTE, Message,
    Outcome, RowStatus,
};
use connect_core::connect::{ContactFlowEvent, MalformedEvent, flag};
use connect_core::metrics::{CAMPAIGN, MetricRecord, TOTAL};
use connect_core::ports::{CampaignTable, Clock, DoNotCallList, error_chain};
use serde::Serialize;

use crate::config::Config;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChoiceResponse {
    /// SSML (`<speak>...</speak>`): what the customer hears next; a confirmation of the choice
    /// only when `recorded` is `"true"`.
    pub message: String,
    /// `"false"` only for talk_now: the flow then transfers to the queue.
    pub disconnect: String,
    pub outcome: String,
    pub recorded: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The campaign the choice is for, for the metrics (not sent to the flow).
    #[serde(skip)]
    pub campaign: String,
    /// Whether the choice was written (what `recorded` says), for the metrics.
    #[serde(skip)]
    pub written: bool,
}

impl ChoiceResponse {
    /// `CampaignAnswers` by outcome (and campaign), and a choice made but not written.
    pub fn metrics(&self) -> MetricRecord {
        let record = MetricRecord::new().outcome_within("CampaignAnswers", &self.outcome, (CAMPAIGN, &self.campaign));
        let lost = !self.written && self.error.is_some();
        record.count("ChoicesNotRecorded", u8::from(lost), TOTAL)
    }
}

pub struct ChoiceRecorder<T, D, K> {
    table: T,
    do_not_call: D,
    clock: K,
    campaign: Option<Campaign>,
    messages: ChoiceMessages,
    retry_after: TimeDelta,
    answer_within: Duration,
}

impl<T: CampaignTable, D: DoNotCallList, K: Clock> ChoiceRecorder<T, D, K> {
    pub fn new(config: Config, table: T, do_not_call: D, clock: K) -> Self {
        ChoiceRecorder {
            table,
            do_not_call,
            clock,
            campaign: config.campaign,
            messages: config.messages,
            retry_after: config.retry_after,
            answer_within: ANSWER_WITHIN,
        }
    }

    fn answer(&self, outcome: Outcome, recorded: bool, error: Option<&str>) -> ChoiceResponse {
        ChoiceResponse {
            message: self.messages.ssml(Message::after(outcome, recorded)),
            disconnect: flag(outcome.disconnects()),
            outcome: outcome.name().to_owned(),
            recorded: flag(recorded),
            written: recorded,
            error: error.map(str::to_owned),
            campaign: String::new(),
        }
    }

    /// The flow's `campaign` parameter, else the contact's `campaign` attribute (set by
    /// campaign-dialer), else `CAMPAIGN`.
    fn campaign_of(&self, event: &ContactFlowEvent) -> Result<Option<Campaign>, String> {
        match event.parameter("campaign").or_else(|| event.attribute(CAMPAIGN_ATTRIBUTE)) {
            Some(name) => Campaign::parse(&name).map(Some).map_err(|e| e.to_string()),
            None => Ok(self.campaign.clone()),
        }
    }

    /// The customer always hears a message true to what happened (the confirmation of their
    /// choice only once it is written); recording can only fail quietly (`recorded=false`), never
    /// cut the call short.
    pub async fn handle(&self, event: serde_json::Value) -> Result<ChoiceResponse, Infallible> {
        let event = ContactFlowEvent::from_value(event);
        let campaign = event.as_ref().ok().and_then(|e| self.campaign_of(e).ok().flatten());
        let mut answer = self.respond(event).await;
        answer.campaign = campaign.map(|c| c.to_string()).unwrap_or_default();
        Ok(answer)
    }

    async fn respond(&self, event: Result<ContactFlowEvent, MalformedEvent>) -> ChoiceResponse {
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                tracing::warn!(error = %e, "malformed event; nothing recorded");
                return self.answer(Outcome::NoInput, false, Some("malformed event"));
            }
        };
        // The flow's second call, after the transfer of a talk-now customer failed.
        let transfer_failed = event.parameter("transferFailed").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
        let outcome = match transfer_failed {
            true => Outcome::TransferFailed,
            false => Outcome::from_input(&event.parameter("inputData").unwrap_or_default()),
        };
        let contact_id = event.contact_id();
        let campaign = match self.campaign_of(&event) {
            Ok(Some(campaign)) => campaign,
            Ok(None) => {
                tracing::error!(contact_id, "no campaign parameter, contact attribute or CAMPAIGN; nothing recorded");
                return self.answer(outcome, false, Some("no campaign"));
            }
            Err(e) => {
                tracing::error!(contact_id, error = e, "invalid campaign; nothing recorded");
                return self.answer(outcome, false, Some("invalid campaign"));
            }
        };
        let Some(customer) = event.caller() else {
            tracing::warn!(contact_id, %campaign, outcome = outcome.name(), "no E.164 customer number; nothing recorded");
            return self.answer(outcome, false, None);
        };
        if contact_id.is_empty() {
            tracing::warn!(%customer, "event without ContactId; nothing recorded");
            return self.answer(outcome, false, Some("malformed event"));
        }
        let now = self.clock.now();
        let placed_at =
            event.attribute(DIALED_AT_ATTRIBUTE).and_then(|t| t.parse::<DateTime<Utc>>().ok()).unwrap_or(now);
        let status = outcome.status();
        let choice = Choice {
            // retried like a call nobody answered: due again after RETRY_AFTER_MINUTES
            due_again: (status == RowStatus::NoAnswer).then(|| now + self.retry_after),
            customer,
            status,
            contact_id: contact_id.to_owned(),
            attempt: event.attribute(ATTEMPT_ATTRIBUTE).filter(|token| !token.trim().is_empty()),
            placed_at,
            recorded_at: now,
        };
        let customer = &choice.customer;
        let outcome_name = outcome.name();
        // An opt-out goes on the do-not-call list too, in the same budget: a reloaded list
        // (which replaces the row) must not bring the number back.
        let listed = async {
            if outcome != Outcome::OptedOut {
                return true;
            }
            match self.do_not_call.add(customer, &campaign, now).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(contact_id, %customer, error = %error_chain(&e), "opt-out not added to the do-not-call list");
                    false
                }
            }
        };
        let written = tokio::time::timeout(self.answer_within, async {
            let (written, listed) = tokio::join!(self.table.record_choice(&campaign, &choice), listed);
            (written, listed)
        });
        let written = match written.await {
            Ok((_, false)) => {
                return self.answer(outcome, false, Some("opt-out not recorded"));
            }
            Ok((written, true)) => Ok(written),
            Err(elapsed) => Err(elapsed),
        };
        match written {
            Ok(Ok(ChoiceWrite::Recorded)) => {
                tracing::info!(contact_id, %customer, %campaign, outcome = outcome_name, "choice recorded");
                self.answer(outcome, true, None)
            }
            Ok(Ok(ChoiceWrite::Superseded)) => {
                tracing::info!(contact_id, %customer, %campaign, outcome = outcome_name, "a later contact changed the row; kept it");
                self.answer(outcome, false, None)
            }
            Ok(Ok(ChoiceWrite::UnknownCustomer)) => {
                tracing::warn!(contact_id, %customer, %campaign, outcome = outcome_name, "number not in the customers table; not created");
                self.answer(outcome, false, Some("unknown customer"))
            }
            Ok(Err(e)) => {
                tracing::error!(contact_id, %customer, %campaign, error = %error_chain(&e), "choice not recorded");
                self.answer(outcome, false, Some("choice not recorded"))
            }
            Err(_) => {
                tracing::error!(contact_id, %customer, within_ms = self.answer_within.as_millis(), "choice write timed out");
                self.answer(outcome, false, Some("timed out"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use connect_aws::Env;
    use connect_core::campaign::{CampaignState, RetryPolicy, RowStatus};
    use connect_fakes::{FakeCampaignTable, FakeClock, FakeDoNotCall, FakeRow, loaded_at, sample_event};
    use serde_json::{Value, json};

    const CUSTOMER: &str = "+819012345678";

    type Recorder = ChoiceRecorder<FakeCampaignTable, FakeDoNotCall, FakeClock>;

    fn recorder_with(env: &[(&'static str, &'static str)], table: FakeCampaignTable) -> Recorder {
        let pairs = [("CUSTOMERS_TABLE", "customers")].into_iter().chain(env.iter().copied());
        let config = Config::from_env(&Env::from_pairs(pairs)).unwrap();
        ChoiceRecorder::new(config, table, FakeDoNotCall::default(), FakeClock::at("2026-11-21T10:00:00Z"))
    }

    /// The attempt token of the sample events.
    const ATTEMPT: &str = "9b2f6a1e-4c3d-4e5f-8a7b-1c2d3e4f5a6b";

    /// The row as the dialer left it: claimed for the sample events' attempt, due again at 10:05.
    fn claimed() -> FakeCampaignTable {
        let at = "2026-11-21T09:59:30Z".parse().unwrap();
        let until = "2026-11-21T10:05:00Z".parse().unwrap();
        let state = CampaignState::pending(loaded_at()).claimed(ATTEMPT.into(), at, until);
        let table = FakeCampaignTable::default();
        table.put(CUSTOMER, FakeRow { state: Some(state), ..FakeRow::default() });
        table
    }

    fn recorder() -> Recorder {
        recorder_with(&[], claimed())
    }

    fn event(name: &str) -> Value {
        sample_event("ivr-choice-recorder", name)
    }

    fn pressed(input: &str) -> Value {
        let mut e = event("talk-now");
        e["Details"]["Parameters"]["inputData"] = json!(input);
        e
    }

    /// A contact placed some other way than by the dialer: no attempt token.
    fn from_contact(contact_id: &str, input: &str, dialed_at: &str) -> Value {
        let mut e = pressed(input);
        e["Details"]["ContactData"]["ContactId"] = json!(contact_id);
        e["Details"]["ContactData"]["Attributes"] = json!({"campaign": "spring", "dialedAt": dialed_at});
        e
    }

    fn for_attempt(contact_id: &str, input: &str, attempt: &str) -> Value {
        let mut e = pressed(input);
        e["Details"]["ContactData"]["ContactId"] = json!(contact_id);
        e["Details"]["ContactData"]["Attributes"]["attempt"] = json!(attempt);
        e
    }

    async fn answer(r: &Recorder, event: Value) -> ChoiceResponse {
        r.handle(event).await.unwrap()
    }

    #[tokio::test]
    async fn every_outcome_is_recorded_and_answered_in_ssml() {
        let cases = [
            ("1", "talk_now", "false", RowStatus::TalkNow),
            ("2", "call_back", "true", RowStatus::CallBack),
            ("3", "email", "true", RowStatus::Email),
            ("Timeout", "no_input", "true", RowStatus::NoAnswer),
            ("", "no_input", "true", RowStatus::NoAnswer),
            ("9", "opted_out", "true", RowStatus::OptedOut),
            ("*", "not_interested", "true", RowStatus::NotInterested),
            ("#", "no_input", "true", RowStatus::NoAnswer),
        ];
        for (input, outcome, disconnect, status) in cases {
            let r = recorder();
            let got = answer(&r, pressed(input)).await;
            assert_eq!(
                (got.outcome.as_str(), got.disconnect.as_str(), got.recorded.as_str(), got.error),
                (outcome, disconnect, "true", None),
                "{input:?}"
            );
            assert!(got.message.starts_with("<speak>") && got.message.ends_with("</speak>"), "{}", got.message);
            let row = r.table.row(CUSTOMER).unwrap();
            let state = row.state.unwrap();
            assert_eq!(state.status, status, "{input:?}");
            assert_eq!(state.contact_id.as_deref(), Some("7f1b2c3d-0000-4000-8000-000000000001"));
            assert_eq!(state.updated_at, Some("2026-11-21T10:00:00Z".parse().unwrap()));
            // an answer leaves the to-call index; no input stays in it, to be retried
            assert_eq!(state.to_call_at.is_some(), status == RowStatus::NoAnswer, "{input:?}");
            assert_eq!(row.do_not_call, status == RowStatus::OptedOut, "{input:?}");
        }
        let timeout = answer(&recorder(), event("timeout")).await;
        assert_eq!(timeout.outcome, "no_input", "the sample event for Timeout");
    }

    #[tokio::test]
    async fn each_choice_is_counted_by_outcome_and_campaign_and_a_lost_one_is_counted_too() {
        let r = recorder();
        let record = answer(&r, from_contact("c-1", "9", "2026-11-21T09:59:00Z")).await.metrics();
        assert_eq!((record.get("Outcome"), record.get("Campaign")), (Some("opted_out"), Some("spring")));
        let answers = record.measure("CampaignAnswers").unwrap();
        assert_eq!(answers.dimension_sets, vec![vec![], vec!["Outcome"], vec!["Campaign", "Outcome"]]);
        assert_eq!(record.value("ChoicesNotRecorded"), Some(0.0));
        r.table.fail_writes_with(Some("ProvisionedThroughputExceededException"));
        let lost = answer(&r, pressed("1")).await.metrics();
        assert_eq!((lost.get("Outcome"), lost.value("ChoicesNotRecorded")), (Some("talk_now"), Some(1.0)));
        let malformed = answer(&r, json!([1])).await.metrics();
        assert_eq!((malformed.get("Campaign"), malformed.get("Outcome")), (None, Some("no_input")));
    }

    #[tokio::test]
    async fn email_is_recorded_as_email_not_as_later() {
        let r = recorder();
        answer(&r, pressed("3")).await;
        assert_eq!(r.table.status(CUSTOMER), Some(RowStatus::Email));
    }

    #[tokio::test]
    async fn the_campaign_comes_from_parameter_then_attribute_then_environment() {
        let table = claimed;
        // the sample event names "spring" as the contact attribute
        assert_eq!(answer(&recorder_with(&[], table()), pressed("1")).await.recorded, "true");

        let mut no_attribute = pressed("1");
        no_attribute["Details"]["ContactData"]["Attributes"] = json!({});
        let got = answer(&recorder_with(&[], table()), no_attribute.clone()).await;
        assert_eq!((got.recorded.as_str(), got.error.as_deref()), ("false", Some("no campaign")));
        assert_eq!(answer(&recorder_with(&[("CAMPAIGN", "spring")], table()), no_attribute).await.recorded, "true");

        let mut bad = pressed("1");
        bad["Details"]["Parameters"]["campaign"] = json!("spring sale");
        let got = answer(&recorder_with(&[], table()), bad).await;
        assert_eq!((got.recorded.as_str(), got.error.as_deref()), ("false", Some("invalid campaign")));
        assert_eq!(got.outcome, "talk_now", "the customer still gets the agent");
    }

    #[tokio::test]
    async fn unknown_numbers_are_not_created() {
        let r = recorder_with(&[], FakeCampaignTable::default());
        let got = answer(&r, pressed("2")).await;
        assert_eq!((got.recorded.as_str(), got.error.as_deref()), ("false", Some("unknown customer")));
        assert_eq!(got.outcome, "call_back");
        assert_eq!(r.table.row(CUSTOMER), None);
    }

    #[tokio::test]
    async fn a_later_answer_is_never_overwritten_by_an_earlier_contacts_retry() {
        let r = recorder_with(&[], FakeCampaignTable::with([(CUSTOMER, Some(RowStatus::Dialing))]));
        // the clock (answers) starts at 10:00; each contact is placed shortly before its answer
        let first = "2026-11-21T09:59:30.000Z";
        let second = "2026-11-21T10:00:30.000Z";
        assert_eq!(answer(&r, from_contact("c-1", "2", first)).await.recorded, "true");
        assert_eq!(answer(&r, from_contact("c-1", "2", first)).await.recorded, "true", "a retry of the same contact");
        r.clock.advance(TimeDelta::minutes(1));
        assert_eq!(answer(&r, from_contact("c-2", "1", second)).await.recorded, "true", "the later contact");
        r.clock.advance(TimeDelta::minutes(1));
        let late = answer(&r, from_contact("c-1", "2", first)).await;
        assert_eq!((late.recorded.as_str(), late.outcome.as_str()), ("false", "call_back"));
        assert_eq!(r.table.status(CUSTOMER), Some(RowStatus::TalkNow));
        assert_eq!(r.table.state(CUSTOMER).unwrap().contact_id.as_deref(), Some("c-2"));
    }

    #[tokio::test]
    async fn an_answer_to_the_rows_attempt_is_recorded_whatever_the_dialer_wrote_meanwhile() {
        // The dialer claimed the row for the attempt and lost Connect's answer: no contact ID on
        // the row. The customer answers; later the dialer had even settled the row as no answer.
        let r = recorder();
        assert_eq!(answer(&r, for_attempt("c-2", "3", ATTEMPT)).await.recorded, "true");
        assert_eq!(r.table.status(CUSTOMER), Some(RowStatus::Email));

        let table = claimed();
        let policy = RetryPolicy { retry_after: TimeDelta::minutes(60), max_attempts: 3 };
        let mut row = table.row(CUSTOMER).unwrap();
        row.state = row.state.map(|s| s.placed("c-2").unanswered("2026-11-21T10:01:00Z".parse().unwrap(), policy));
        table.put(CUSTOMER, row);
        let r = recorder_with(&[], table);
        r.clock.advance(TimeDelta::minutes(5));
        assert_eq!(answer(&r, for_attempt("c-2", "1", ATTEMPT)).await.recorded, "true", "a late answer still counts");
        assert_eq!(r.table.status(CUSTOMER), Some(RowStatus::TalkNow));

        // an earlier attempt's answer is not this attempt's
        let r = recorder();
        let old = answer(&r, for_attempt("c-1", "2", "an-earlier-token")).await;
        assert_eq!((old.recorded.as_str(), old.outcome.as_str()), ("false", "call_back"));
        assert_eq!(r.table.status(CUSTOMER), Some(RowStatus::Dialing));
    }

    #[tokio::test]
    async fn pressing_nine_opts_out_for_good() {
        let r = recorder();
        let got = answer(&r, pressed("9")).await;
        assert_eq!(
            (got.outcome.as_str(), got.recorded.as_str(), got.disconnect.as_str()),
            ("opted_out", "true", "true")
        );
        assert!(got.message.contains("今後"), "{}", got.message);
        let row = r.table.row(CUSTOMER).unwrap();
        assert!(row.do_not_call);
        assert_eq!(row.state.map(|s| (s.status, s.to_call_at)), Some((RowStatus::OptedOut, None)));
        assert!(r.do_not_call.listed(CUSTOMER), "on the list a reload cannot wipe");
        assert_eq!(r.do_not_call.lookups(), 0, "only written");

        // a list that cannot be written: the customer is not told they will not be called
        let r = recorder();
        r.do_not_call.fail_with(Some("ProvisionedThroughputExceededException"));
        let got = answer(&r, pressed("9")).await;
        assert_eq!((got.recorded.as_str(), got.error.as_deref()), ("false", Some("opt-out not recorded")));
        assert!(!got.message.contains("お電話することはございません"), "{}", got.message);
        assert!(got.message.contains("記録できませんでした"), "{}", got.message);
    }

    /// GIVEN the customers table refuses the write; WHEN the customer presses 9, 2, 3 or another
    /// key; THEN they hear that their answer could not be recorded (for 9: that they may be called
    /// again), never the confirmation, and the row stays as the dialer left it: callable.
    #[tokio::test]
    async fn a_choice_that_is_not_written_is_never_confirmed_and_the_row_stays_callable() {
        let confirmations = ChoiceMessages::default();
        for (input, outcome) in
            [("9", Outcome::OptedOut), ("2", Outcome::CallBack), ("3", Outcome::Email), ("7", Outcome::NotInterested)]
        {
            let r = recorder();
            r.table.fail_writes_with(Some("ProvisionedThroughputExceededException"));
            let got = answer(&r, pressed(input)).await;
            assert_eq!((got.recorded.as_str(), got.disconnect.as_str()), ("false", "true"), "{input}");
            assert_ne!(got.message, confirmations.ssml(outcome), "{input}: no confirmation");
            assert!(got.message.contains("記録できませんでした"), "{input}: {}", got.message);
            let state = r.table.state(CUSTOMER).unwrap();
            assert_eq!((state.status, state.to_call_at.is_some()), (RowStatus::Dialing, true), "{input}");
            assert!(!r.table.row(CUSTOMER).unwrap().do_not_call, "{input}");
        }
        let r = recorder();
        r.table.fail_writes_with(Some("ProvisionedThroughputExceededException"));
        let nine = answer(&r, pressed("9")).await;
        assert!(nine.message.contains("お電話する場合がございます"), "may be called again: {}", nine.message);
        // a later contact changed the row: not written either, so not confirmed
        let r = recorder();
        let late = answer(&r, for_attempt("c-1", "9", "an-earlier-token")).await;
        assert_eq!((late.recorded.as_str(), late.error), ("false", None));
        assert!(!late.message.contains("お電話することはございません"), "{}", late.message);
        // talk now still goes to the queue: what it says (an agent is coming) stays true
        let r = recorder();
        r.table.fail_writes_with(Some("ProvisionedThroughputExceededException"));
        let talk = answer(&r, pressed("1")).await;
        assert_eq!((talk.recorded.as_str(), talk.disconnect.as_str()), ("false", "false"));
        assert_eq!(talk.message, confirmations.ssml(Outcome::TalkNow));
    }

    /// GIVEN a customer who pressed 1 (recorded, out of the index); WHEN the flow could not put
    /// them through and says so (`transferFailed`); THEN the row is a no answer again, due after
    /// RETRY_AFTER_MINUTES (the attempt counted against MAX_ATTEMPTS), and the customer hears an
    /// apology that says they will be called again.
    #[tokio::test]
    async fn a_failed_transfer_after_talk_now_puts_the_row_back_to_be_called_again() {
        for (env, wait) in [(vec![], 60), (vec![("RETRY_AFTER_MINUTES", "30")], 30)] {
            let r = recorder_with(&env, claimed());
            assert_eq!(answer(&r, pressed("1")).await.recorded, "true");
            assert_eq!(r.table.state(CUSTOMER).unwrap().to_call_at, None, "talk now leaves the index");
            r.clock.advance(TimeDelta::minutes(2));
            let got = answer(&r, event("transfer-failed")).await;
            assert_eq!(
                (got.outcome.as_str(), got.recorded.as_str(), got.disconnect.as_str(), got.error),
                ("transfer_failed", "true", "true", None)
            );
            assert!(
                got.message.contains("お繋ぎできませんでした") && got.message.contains("改めてお電話"),
                "{}",
                got.message
            );
            let state = r.table.state(CUSTOMER).unwrap();
            let due = "2026-11-21T10:02:00Z".parse::<DateTime<Utc>>().unwrap() + TimeDelta::minutes(wait);
            assert_eq!((state.status, state.to_call_at, state.attempts), (RowStatus::NoAnswer, Some(due), 1));
            assert_eq!(state.contact_id.as_deref(), Some("7f1b2c3d-0000-4000-8000-000000000001"));
        }
        // an earlier attempt's failed transfer never overwrites a later attempt's row
        let r = recorder();
        let mut old = event("transfer-failed");
        old["Details"]["ContactData"]["ContactId"] = json!("c-0");
        old["Details"]["ContactData"]["Attributes"]["attempt"] = json!("an-earlier-token");
        let got = answer(&r, old).await;
        assert_eq!((got.outcome.as_str(), got.recorded.as_str()), ("transfer_failed", "false"));
        assert!(!got.message.contains("改めてお電話"), "not promised: {}", got.message);
        assert_eq!(r.table.status(CUSTOMER), Some(RowStatus::Dialing));
    }

    #[tokio::test]
    async fn bad_events_and_failures_still_answer_with_a_message() {
        let r = recorder();
        let got = answer(&r, json!("not an event")).await;
        assert_eq!((got.outcome.as_str(), got.recorded.as_str()), ("no_input", "false"));
        assert_eq!(got.error.as_deref(), Some("malformed event"));
        assert!(got.message.starts_with("<speak>"));

        let mut withheld = pressed("1");
        withheld["Details"]["ContactData"]["CustomerEndpoint"] = json!({"Address": "anonymous"});
        let got = answer(&r, withheld).await;
        assert_eq!((got.recorded.as_str(), got.disconnect.as_str()), ("false", "false"));

        let mut no_contact = pressed("1");
        no_contact["Details"]["ContactData"]["ContactId"] = Value::Null;
        assert_eq!(answer(&r, no_contact).await.error.as_deref(), Some("malformed event"));
        assert_eq!(r.table.writes(), 0);

        r.table.fail_with(Some("ProvisionedThroughputExceededException"));
        let got = answer(&r, pressed("1")).await;
        assert_eq!((got.recorded.as_str(), got.error.as_deref()), ("false", Some("choice not recorded")));
        assert_eq!((got.outcome.as_str(), got.disconnect.as_str()), ("talk_now", "false"));
    }

    #[tokio::test]
    async fn overridden_messages_are_escaped() {
        let r = recorder_with(&[("CHOICE_MESSAGES", r#"{"call_back": "We'll call <you> back & soon"}"#)], claimed());
        let got = answer(&r, pressed("2")).await;
        assert_eq!(got.message, "<speak>We&apos;ll call &lt;you&gt; back &amp; soon</speak>");
        assert_eq!(serde_json::to_value(&got).unwrap()["disconnect"], "true");
    }

    /// The flows' contract test reads `contract.json`; it must say what this handler does.
    #[test]
    fn the_published_contract_matches_the_handler() {
        let full = ChoiceResponse {
            message: "<speak/>".into(),
            disconnect: "true".into(),
            outcome: "email".into(),
            recorded: "true".into(),
            error: Some("x".into()),
            campaign: "spring".into(),
            written: true,
        };
        connect_fakes::assert_contract("ivr-choice-recorder", include_str!("handler.rs"), &full);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, failure_persistence: None, ..Default::default() })]
        /// Whatever arrives, the customer hears a well-formed message and the flow gets every key.
        #[test]
        fn any_event_gets_an_answer_and_never_a_panic(
            event in connect_fakes::arbitrary::events(vec![event("talk-now"), event("timeout"), event("campaign-parameter")])
        ) {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
            let answer = runtime.block_on(recorder().handle(event)).unwrap();
            proptest::prop_assert!(answer.message.starts_with("<speak>") && answer.message.ends_with("</speak>"));
            proptest::prop_assert!(["true", "false"].contains(&answer.disconnect.as_str()));
            proptest::prop_assert!(answer.outcome.parse::<Outcome>().is_ok(), "{}", answer.outcome);
        }
    }
}
