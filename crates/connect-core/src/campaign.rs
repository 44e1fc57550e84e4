//! Outbound campaigns: the states a customer's row goes through, what a keypad answer means,
//! what the customer hears, and how the dialer paces its calls.
//!
//! A campaign is an attribute of the customers table (`phoneNumber` key) holding a number;
//! `<campaign>_updatedAt`, `<campaign>_contactId` and `<campaign>_calls` sit beside it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::phone::CallerNumber;

/// Contact attributes the dialer sets on each call and the recorder reads back: which
/// campaign the call belongs to, and when it was placed (RFC 3339).
pub const CAMPAIGN_ATTRIBUTE: &str = "campaign";
pub const DIALED_AT_ATTRIBUTE: &str = "dialedAt";

/// The longest campaign name: DynamoDB allows 255 bytes per attribute name, and the longest
/// suffix (`_contactId`) must still fit.
const MAX_CAMPAIGN_NAME: usize = 200;

/// A campaign's attribute name: letters, digits, `_`, `-` and `.`, at most 200 of them, and not
/// the table's key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Campaign(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("campaign name {name:?} {reason}")]
pub struct InvalidCampaign {
    pub name: String,
    pub reason: &'static str,
}

impl Campaign {
    pub fn parse(name: &str) -> Result<Campaign, InvalidCampaign> {
        let name = name.trim();
        let invalid = |reason| Err(InvalidCampaign { name: name.to_owned(), reason });
        if name.is_empty() {
            return invalid("is empty");
        }
        if name.len() > MAX_CAMPAIGN_NAME {
            return invalid("is longer than 200 characters");
        }
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')) {
            return invalid("may hold only letters, digits, '_', '-' and '.'");
        }
        if name == "phoneNumber" {
            return invalid("is the table's key");
        }
        Ok(Campaign(name.to_owned()))
    }

    /// The attribute holding the row's [`RowStatus`] code.
    pub fn status_attribute(&self) -> &str {
        &self.0
    }

    pub fn updated_at_attribute(&self) -> String {
        format!("{}_updatedAt", self.0)
    }

    pub fn contact_id_attribute(&self) -> String {
        format!("{}_contactId", self.0)
    }

    /// How many calls the dialer has placed to this row in this campaign.
    pub fn calls_attribute(&self) -> String {
        format!("{}_calls", self.0)
    }

    /// StartOutboundVoiceContact's idempotency token for a customer's next call. It stays the
    /// same until a call is known to be placed: a retry after a timeout, a crash or a failed
    /// write returns the call Connect already placed instead of ringing the customer twice,
    /// while a deliberate re-dial (the row set back to pending) gets a new token.
    pub fn client_token(&self, customer: &CallerNumber, calls_placed: u32) -> String {
        format!("{}:{}:{}", self.0, customer.as_e164(), calls_placed + 1)
    }
}

impl fmt::Display for Campaign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A row's state in a campaign, stored as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RowStatus {
    Pending,
    /// Claimed by a dialer run; the call is being placed or is in progress.
    Dialing,
    /// The customer did not answer, or answered and pressed nothing.
    NoAnswer,
    FailedToDial,
    NotInterested,
    TalkNow,
    CallBack,
    Email,
}

impl RowStatus {
    pub const ALL: [RowStatus; 8] = [
        RowStatus::Pending,
        RowStatus::Dialing,
        RowStatus::NoAnswer,
        RowStatus::FailedToDial,
        RowStatus::NotInterested,
        RowStatus::TalkNow,
        RowStatus::CallBack,
        RowStatus::Email,
    ];

    pub fn code(self) -> i64 {
        match self {
            RowStatus::Pending => -1,
            RowStatus::NoAnswer => -2,
            RowStatus::Dialing => -3,
            RowStatus::FailedToDial => -4,
            RowStatus::NotInterested => 0,
            RowStatus::TalkNow => 1,
            RowStatus::CallBack => 2,
            RowStatus::Email => 3,
        }
    }

    pub fn from_code(code: i64) -> Option<RowStatus> {
        RowStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// What the customer chose on the keypad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    TalkNow,
    CallBack,
    Email,
    NoInput,
    NotInterested,
}

impl Outcome {
    pub const ALL: [Outcome; 5] =
        [Outcome::TalkNow, Outcome::CallBack, Outcome::Email, Outcome::NoInput, Outcome::NotInterested];

    /// `1`, `2`, `3`; `Timeout` (what "Store customer input" gives when nothing is pressed) or
    /// nothing at all is no input; any other key is "not interested".
    pub fn from_input(input: &str) -> Outcome {
        match input.trim() {
            "1" => Outcome::TalkNow,
            "2" => Outcome::CallBack,
            "3" => Outcome::Email,
            "" => Outcome::NoInput,
            other if other.eq_ignore_ascii_case("timeout") => Outcome::NoInput,
            _ => Outcome::NotInterested,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Outcome::TalkNow => "talk_now",
            Outcome::CallBack => "call_back",
            Outcome::Email => "email",
            Outcome::NoInput => "no_input",
            Outcome::NotInterested => "not_interested",
        }
    }

    pub fn status(self) -> RowStatus {
        match self {
            Outcome::TalkNow => RowStatus::TalkNow,
            Outcome::CallBack => RowStatus::CallBack,
            Outcome::Email => RowStatus::Email,
            Outcome::NoInput => RowStatus::NoAnswer,
            Outcome::NotInterested => RowStatus::NotInterested,
        }
    }

    /// Only a customer who wants to talk now stays on the line for an agent.
    pub fn disconnects(self) -> bool {
        self != Outcome::TalkNow
    }
}

impl FromStr for Outcome {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Outcome::ALL.into_iter().find(|o| o.name() == name).ok_or_else(|| {
            let names: Vec<&str> = Outcome::ALL.iter().map(|o| o.name()).collect();
            format!("unknown outcome {name:?}; expected one of {}", names.join(", "))
        })
    }
}

/// A keypad answer to write on the customer's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub customer: CallerNumber,
    pub status: RowStatus,
    pub contact_id: String,
    /// When this contact was placed (the dialer's `dialedAt` attribute), else when it answered:
    /// a row changed after this contact was placed, by another contact, is not overwritten.
    pub placed_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

/// What the conditional write of a [`Choice`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceWrite {
    Recorded,
    /// A later contact already changed the row; the earlier contact's answer is dropped.
    Superseded,
    /// No row for the number: rows are never created by an answer.
    UnknownCustomer,
}

/// What the customer hears after their choice, per outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceMessages(BTreeMap<Outcome, String>);

impl Default for ChoiceMessages {
    fn default() -> Self {
        ChoiceMessages(BTreeMap::from([
            (Outcome::TalkNow, "ありがとうございます。担当者にお繋ぎしますので、少々お待ちください。".to_owned()),
            (Outcome::CallBack, "承知いたしました。後ほど改めてお電話いたします。失礼いたします。".to_owned()),
            (Outcome::Email, "承知いたしました。メールにてご案内をお送りいたします。失礼いたします。".to_owned()),
            (Outcome::NoInput, "ご入力が確認できませんでした。改めてご連絡いたします。失礼いたします。".to_owned()),
            (
                Outcome::NotInterested,
                "承知いたしました。お時間をいただきありがとうございました。失礼いたします。".to_owned(),
            ),
        ]))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CHOICE_MESSAGES: {0}")]
pub struct InvalidMessages(String);

impl ChoiceMessages {
    /// The defaults with the outcomes a JSON object names replaced, e.g.
    /// `{"talk_now": "Connecting you now."}`. Unknown outcomes and empty texts are refused, so a
    /// typo shows at deploy time, not as a silent default on a customer's call.
    pub fn with_overrides(json: &str) -> Result<ChoiceMessages, InvalidMessages> {
        let overrides: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| InvalidMessages(format!("not a JSON object of texts: {e}")))?;
        let mut messages = ChoiceMessages::default();
        for (name, text) in overrides {
            let outcome = name.parse::<Outcome>().map_err(InvalidMessages)?;
            let Some(text) = text.as_str().map(str::trim).filter(|t| !t.is_empty()) else {
                return Err(InvalidMessages(format!("the message for {name} must be a non-empty string")));
            };
            messages.0.insert(outcome, text.to_owned());
        }
        Ok(messages)
    }

    pub fn text(&self, outcome: Outcome) -> &str {
        self.0.get(&outcome).map(String::as_str).unwrap_or_default()
    }

    /// The message as SSML for a "Play prompt" block set to interpret as SSML.
    pub fn ssml(&self, outcome: Outcome) -> String {
        ssml(self.text(outcome))
    }
}

/// Text as a well-formed `<speak>` document: XML's special characters escaped and control
/// characters XML forbids dropped, so a message with `&` or `<` cannot break the prompt.
pub fn ssml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    out.push_str("<speak>");
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push_str("</speak>");
    out
}

/// A row of the campaign that is still open: pending, or claimed by a dialer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignRow {
    /// As stored; may be malformed (the list is the customer's data).
    pub phone_number: String,
    pub status: RowStatus,
    pub contact_id: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub calls_placed: u32,
}

/// How a Connect call a dialer placed is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// Ringing, in the IVR or in the queue: it may still need an agent.
    Waiting,
    WithAgent,
    Ended,
}

/// Why StartOutboundVoiceContact placed no call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialFailure {
    /// Connect will never dial this number (malformed, or a destination not allowed).
    InvalidNumber,
    /// Anything else: throttling, limits, timeouts, permissions, configuration.
    Failed,
}

/// Why a dialer run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    NothingPending,
    MaxCalls,
    Deadline,
    /// Several calls in a row failed: something is wrong beyond one number.
    DialFailures,
}

impl StopReason {
    pub fn name(self) -> &'static str {
        match self {
            StopReason::NothingPending => "nothing_pending",
            StopReason::MaxCalls => "max_calls",
            StopReason::Deadline => "deadline",
            StopReason::DialFailures => "dial_failures",
        }
    }
}

/// How many more calls may be placed now: one per available agent not already promised to a
/// placed call that is still waiting.
pub fn calls_allowed(agents_available: u32, calls_waiting: usize) -> usize {
    usize::try_from(agents_available).unwrap_or(usize::MAX).saturating_sub(calls_waiting)
}

/// Time kept back from the Lambda deadline to release a claimed row and answer: a quarter of
/// the invocation's time, at most 10 s.
pub fn safety_margin(invocation_time: Duration) -> Duration {
    (invocation_time / 4).min(Duration::from_secs(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn campaign_names_are_checked_and_name_their_attributes() {
        let campaign = Campaign::parse(" spring_2026 ").unwrap();
        assert_eq!(campaign.status_attribute(), "spring_2026");
        assert_eq!(campaign.updated_at_attribute(), "spring_2026_updatedAt");
        assert_eq!(campaign.contact_id_attribute(), "spring_2026_contactId");
        assert_eq!(campaign.calls_attribute(), "spring_2026_calls");
        for bad in ["", "a b", "phoneNumber", "#x", &"c".repeat(201), "キャンペーン"] {
            assert!(Campaign::parse(bad).is_err(), "{bad}");
        }
        assert!(Campaign::parse("a.b-c_1").is_ok());
    }

    #[test]
    fn client_token_changes_only_after_a_placed_call() {
        let campaign = Campaign::parse("spring").unwrap();
        let customer = CallerNumber::parse("+819012345678").unwrap();
        let first = campaign.client_token(&customer, 0);
        assert_eq!(first, campaign.client_token(&customer, 0), "a retry reuses the token");
        assert_ne!(first, campaign.client_token(&customer, 1), "a re-dial gets a new one");
        assert_ne!(first, Campaign::parse("autumn").unwrap().client_token(&customer, 0));
        assert!(first.len() <= 500, "Connect's ClientToken limit");
    }

    #[test]
    fn row_status_codes_round_trip() {
        let codes: Vec<i64> = RowStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [-1, -3, -2, -4, 0, 1, 2, 3]);
        for status in RowStatus::ALL {
            assert_eq!(RowStatus::from_code(status.code()), Some(status));
        }
        assert_eq!(RowStatus::from_code(4), None);
    }

    #[test]
    fn keypad_input_to_outcome_status_and_disconnect() {
        let cases = [
            ("1", Outcome::TalkNow, 1, false),
            ("2", Outcome::CallBack, 2, true),
            ("3", Outcome::Email, 3, true),
            ("Timeout", Outcome::NoInput, -2, true),
            ("timeout", Outcome::NoInput, -2, true),
            ("", Outcome::NoInput, -2, true),
            ("  ", Outcome::NoInput, -2, true),
            ("0", Outcome::NotInterested, 0, true),
            ("9", Outcome::NotInterested, 0, true),
            ("#", Outcome::NotInterested, 0, true),
            ("12", Outcome::NotInterested, 0, true),
        ];
        for (input, outcome, code, disconnects) in cases {
            let got = Outcome::from_input(input);
            assert_eq!((got, got.status().code(), got.disconnects()), (outcome, code, disconnects), "{input:?}");
        }
        assert_eq!("email".parse::<Outcome>(), Ok(Outcome::Email));
        assert!("later".parse::<Outcome>().unwrap_err().contains("talk_now, call_back"));
    }

    #[test]
    fn messages_are_well_formed_ssml_with_escaped_text() {
        let messages = ChoiceMessages::default();
        for outcome in Outcome::ALL {
            let ssml = messages.ssml(outcome);
            assert!(ssml.starts_with("<speak>") && ssml.ends_with("</speak>"), "{ssml}");
            assert!(ssml.len() > "<speak></speak>".len(), "{outcome:?} has a default");
        }
        assert_eq!(
            ssml(r#"Tom & Jerry <b> "x" 'y'"#),
            "<speak>Tom &amp; Jerry &lt;b&gt; &quot;x&quot; &apos;y&apos;</speak>"
        );
        assert_eq!(ssml("a\u{0}b\u{1b}c\nd"), "<speak>abc\nd</speak>");
    }

    #[test]
    fn overrides_replace_named_outcomes_and_refuse_mistakes() {
        let messages =
            ChoiceMessages::with_overrides(r#"{"email": "We'll e-mail you.", "talk_now": "Hold on"}"#).unwrap();
        assert_eq!(messages.ssml(Outcome::Email), "<speak>We&apos;ll e-mail you.</speak>");
        assert_eq!(messages.text(Outcome::TalkNow), "Hold on");
        assert_eq!(messages.text(Outcome::CallBack), ChoiceMessages::default().text(Outcome::CallBack));
        for (bad, expected) in [
            ("{", "not a JSON object"),
            ("[]", "not a JSON object"),
            (r#"{"later": "x"}"#, "unknown outcome \"later\""),
            (r#"{"email": 3}"#, "non-empty string"),
            (r#"{"email": " "}"#, "non-empty string"),
        ] {
            let err = ChoiceMessages::with_overrides(bad).unwrap_err().to_string();
            assert!(err.starts_with("CHOICE_MESSAGES: ") && err.contains(expected), "{bad}: {err}");
        }
    }

    #[test]
    fn pacing_allows_one_call_per_free_agent() {
        assert_eq!(calls_allowed(0, 0), 0);
        assert_eq!(calls_allowed(1, 0), 1);
        assert_eq!(calls_allowed(1, 1), 0);
        assert_eq!(calls_allowed(3, 1), 2);
        assert_eq!(calls_allowed(1, 4), 0, "more waiting than agents");
    }

    #[test]
    fn safety_margin_is_a_quarter_up_to_ten_seconds() {
        assert_eq!(safety_margin(Duration::from_secs(4)), Duration::from_secs(1));
        assert_eq!(safety_margin(Duration::from_secs(300)), Duration::from_secs(10));
        assert_eq!(safety_margin(Duration::ZERO), Duration::ZERO);
    }
}
