//! Outbound campaigns: the states a customer's row goes through, what a keypad answer means,
//! what the customer hears, and how the dialer paces its calls.
//!
//! A campaign is an attribute of the customers table (`phoneNumber` key) holding a status code;
//! `<campaign>_attempt`, `_attempts`, `_contactId` and `_updatedAt` sit beside it. A row still to
//! call also carries `toCall` (the campaign) and `toCallAt` (when it may next be dialed): the
//! sparse `to-call` index holds exactly those rows, so a run reads only what it may dial.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::phone::{CallerNumber, mask};

/// Contact attributes the dialer sets on each call and the recorder reads back: which
/// campaign the call belongs to, when it was placed (RFC 3339), and the attempt's token.
pub const CAMPAIGN_ATTRIBUTE: &str = "campaign";
pub const DIALED_AT_ATTRIBUTE: &str = "dialedAt";
pub const ATTEMPT_ATTRIBUTE: &str = "attempt";

/// The row attributes of the sparse to-call index: the campaign, and when the row is due.
pub const TO_CALL: &str = "toCall";
pub const TO_CALL_AT: &str = "toCallAt";
/// A row attribute (`true`) that no campaign of the table ever dials again: the customer pressed
/// 9, or the operator set it.
pub const DO_NOT_CALL: &str = "DO_NOT_CALL";
/// A row attribute: the customer's IANA time zone, for their calling hours.
pub const TIME_ZONE_ATTRIBUTE: &str = "timeZone";

/// The longest campaign name: DynamoDB allows 255 bytes per attribute name, and the longest
/// suffix (`_contactId`) must still fit.
const MAX_CAMPAIGN_NAME: usize = 200;
/// The longest reason a failed row keeps: it may quote the row's own data (its `timeZone`).
pub const MAX_REASON: usize = 200;

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

    /// The current (or last) attempt's token: StartOutboundVoiceContact's `ClientToken`.
    pub fn attempt_attribute(&self) -> String {
        format!("{}_attempt", self.0)
    }

    /// How many attempts the dialer has started on this row in this campaign.
    pub fn attempts_attribute(&self) -> String {
        format!("{}_attempts", self.0)
    }

    /// Why a row ended without a call (`-4`), in words: `unknown time zone: Mars/Base`.
    pub fn reason_attribute(&self) -> String {
        format!("{}_reason", self.0)
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
    /// The customer pressed 9: never call again (the row also gets `DO_NOT_CALL`).
    OptedOut,
}

impl RowStatus {
    pub const ALL: [RowStatus; 9] = [
        RowStatus::Pending,
        RowStatus::Dialing,
        RowStatus::NoAnswer,
        RowStatus::FailedToDial,
        RowStatus::NotInterested,
        RowStatus::TalkNow,
        RowStatus::CallBack,
        RowStatus::Email,
        RowStatus::OptedOut,
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
            RowStatus::OptedOut => 9,
        }
    }

    pub fn from_code(code: i64) -> Option<RowStatus> {
        RowStatus::ALL.into_iter().find(|s| s.code() == code)
    }

    /// A customer's answer that ends their part of the campaign (no input is not one: it is
    /// retried like a call nobody answered).
    pub fn answered(self) -> bool {
        matches!(
            self,
            RowStatus::NotInterested
                | RowStatus::TalkNow
                | RowStatus::CallBack
                | RowStatus::Email
                | RowStatus::OptedOut
        )
    }
}

/// What the customer chose on the keypad, or (`TransferFailed`) that the flow could not put a
/// customer who chose to talk now through to the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    TalkNow,
    CallBack,
    Email,
    NoInput,
    NotInterested,
    OptedOut,
    /// Talk now, but setting the queue or the transfer failed: called again like a no answer.
    TransferFailed,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::TalkNow,
        Outcome::CallBack,
        Outcome::Email,
        Outcome::NoInput,
        Outcome::NotInterested,
        Outcome::OptedOut,
        Outcome::TransferFailed,
    ];

    /// `1`, `2`, `3`, `9` (do not call me again); `Timeout` (what "Store customer input" gives
    /// when nothing is pressed), nothing at all, or `#` alone (the terminating key, which
    /// Connect strips from the digits) is no input; any other key, `*` included (the flow
    /// disables the cancel key), is "not interested".
    pub fn from_input(input: &str) -> Outcome {
        match input.trim().trim_end_matches('#') {
            "1" => Outcome::TalkNow,
            "2" => Outcome::CallBack,
            "3" => Outcome::Email,
            "9" => Outcome::OptedOut,
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
            Outcome::OptedOut => "opted_out",
            Outcome::TransferFailed => "transfer_failed",
        }
    }

    /// No input and a failed transfer are retried like a call nobody answered.
    pub fn status(self) -> RowStatus {
        match self {
            Outcome::TalkNow => RowStatus::TalkNow,
            Outcome::CallBack => RowStatus::CallBack,
            Outcome::Email => RowStatus::Email,
            Outcome::NoInput | Outcome::TransferFailed => RowStatus::NoAnswer,
            Outcome::NotInterested => RowStatus::NotInterested,
            Outcome::OptedOut => RowStatus::OptedOut,
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
    /// For an answer that is retried (no input, a failed transfer): when the row is due again;
    /// it goes back into the to-call index.
    pub due_again: Option<DateTime<Utc>>,
    pub customer: CallerNumber,
    pub status: RowStatus,
    pub contact_id: String,
    /// The dialer's attempt token (contact attribute `attempt`): the answer belongs to the row
    /// while the row is on that attempt, whatever the dialer wrote meanwhile.
    pub attempt: Option<String>,
    /// When this contact was placed (the dialer's `dialedAt` attribute), else when it answered.
    /// Only for a contact without an attempt token (placed some other way): a row changed after
    /// it was placed is not overwritten.
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

/// What the customer hears: the confirmation of an outcome that was recorded, or, when the
/// write failed, a message that promises nothing the row does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Message {
    /// The outcome's own message: said when it was recorded (and for talk now and no input
    /// either way, as what they say holds without the write: the transfer follows, the row is
    /// still to call).
    Said(Outcome),
    /// A call back, an e-mail or "not interested" that could not be written.
    NotRecorded,
    /// A 9 that could not be written: the customer may be called again.
    OptOutNotRecorded,
    /// A failed transfer that could not be put back to be called again.
    TransferNotRecorded,
}

impl Message {
    /// What to say after `outcome`, written (`recorded`) or not.
    pub fn after(outcome: Outcome, recorded: bool) -> Message {
        match (outcome, recorded) {
            (_, true) | (Outcome::TalkNow | Outcome::NoInput, false) => Message::Said(outcome),
            (Outcome::OptedOut, false) => Message::OptOutNotRecorded,
            (Outcome::TransferFailed, false) => Message::TransferNotRecorded,
            (Outcome::CallBack | Outcome::Email | Outcome::NotInterested, false) => Message::NotRecorded,
        }
    }

    /// Every message, in the order `CHOICE_MESSAGES` documents them.
    pub fn all() -> impl Iterator<Item = Message> {
        let others = [Message::NotRecorded, Message::OptOutNotRecorded, Message::TransferNotRecorded];
        Outcome::ALL.into_iter().map(Message::Said).chain(others)
    }

    /// Its key in `CHOICE_MESSAGES`: the outcome's name, or `not_recorded`,
    /// `opted_out_not_recorded`, `transfer_failed_not_recorded`.
    pub fn name(self) -> &'static str {
        match self {
            Message::Said(outcome) => outcome.name(),
            Message::NotRecorded => "not_recorded",
            Message::OptOutNotRecorded => "opted_out_not_recorded",
            Message::TransferNotRecorded => "transfer_failed_not_recorded",
        }
    }
}

impl From<Outcome> for Message {
    fn from(outcome: Outcome) -> Message {
        Message::Said(outcome)
    }
}

impl FromStr for Message {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Message::all().find(|m| m.name() == name).ok_or_else(|| {
            let names: Vec<&str> = Message::all().map(Message::name).collect();
            format!("unknown message {name:?}; expected one of {}", names.join(", "))
        })
    }
}

/// What the customer hears after their choice, per [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceMessages(BTreeMap<Message, String>);

impl Default for ChoiceMessages {
    fn default() -> Self {
        let texts = [
            (Outcome::TalkNow.into(), "ありがとうございます。担当者にお繋ぎしますので、少々お待ちください。"),
            (Outcome::CallBack.into(), "承知いたしました。後ほど改めてお電話いたします。失礼いたします。"),
            (Outcome::Email.into(), "承知いたしました。メールにてご案内をお送りいたします。失礼いたします。"),
            (Outcome::NoInput.into(), "ご入力が確認できませんでした。改めてご連絡いたします。失礼いたします。"),
            (
                Outcome::NotInterested.into(),
                "承知いたしました。お時間をいただきありがとうございました。失礼いたします。",
            ),
            (
                Outcome::OptedOut.into(),
                "承知いたしました。今後、こちらからお電話することはございません。失礼いたします。",
            ),
            (
                Outcome::TransferFailed.into(),
                "申し訳ございません。ただいま担当者にお繋ぎできませんでした。改めてお電話いたします。失礼いたします。",
            ),
            (
                Message::NotRecorded,
                "申し訳ございません。ただいまご回答を記録できませんでした。改めてお電話する場合がございます。失礼いたします。",
            ),
            (
                Message::OptOutNotRecorded,
                "申し訳ございません。ただいまお申し出を記録できませんでした。今後もお電話する場合がございます。\
                 お手数ですが、お電話にてお申し付けください。失礼いたします。",
            ),
            (
                Message::TransferNotRecorded,
                "申し訳ございません。ただいま担当者にお繋ぎできませんでした。失礼いたします。",
            ),
        ];
        ChoiceMessages(texts.into_iter().map(|(message, text)| (message, text.to_owned())).collect())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CHOICE_MESSAGES: {0}")]
pub struct InvalidMessages(String);

impl ChoiceMessages {
    /// The defaults with the messages a JSON object names replaced, e.g.
    /// `{"talk_now": "Connecting you now."}`. Unknown names and empty texts are refused, so a
    /// typo shows at deploy time, not as a silent default on a customer's call.
    pub fn with_overrides(json: &str) -> Result<ChoiceMessages, InvalidMessages> {
        let overrides: BTreeMap<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| InvalidMessages(format!("not a JSON object of texts: {e}")))?;
        let mut messages = ChoiceMessages::default();
        for (name, text) in overrides {
            let message = name.parse::<Message>().map_err(InvalidMessages)?;
            let Some(text) = text.as_str().map(str::trim).filter(|t| !t.is_empty()) else {
                return Err(InvalidMessages(format!("the message for {name} must be a non-empty string")));
            };
            messages.0.insert(message, text.to_owned());
        }
        Ok(messages)
    }

    pub fn text(&self, message: impl Into<Message>) -> &str {
        self.0.get(&message.into()).map(String::as_str).unwrap_or_default()
    }

    /// The message as SSML for a "Play prompt" block set to interpret as SSML.
    pub fn ssml(&self, message: impl Into<Message>) -> String {
        ssml(self.text(message))
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

/// A row's attributes in one campaign, as stored. Every dialer write names the state it saw
/// and the state it leaves, so concurrent runs and recorders never lose each other's changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignState {
    pub status: RowStatus,
    /// The current (or last) attempt's token, sent as StartOutboundVoiceContact's `ClientToken`.
    pub attempt: Option<String>,
    /// Attempts started in this campaign (a re-sent token is the same attempt).
    pub attempts: u32,
    pub contact_id: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    /// When the row may next be dialed (for a claim: when the claiming run is over); `None`:
    /// out of the to-call index, nothing more to do.
    pub to_call_at: Option<DateTime<Utc>>,
    /// Why the row ended without a call (a row set to failed to dial); `None` otherwise.
    pub reason: Option<String>,
}

impl CampaignState {
    /// A freshly loaded row: pending and due now.
    pub fn pending(due: DateTime<Utc>) -> CampaignState {
        CampaignState {
            status: RowStatus::Pending,
            attempt: None,
            attempts: 0,
            contact_id: None,
            updated_at: None,
            to_call_at: Some(due),
            reason: None,
        }
    }

    /// A new attempt with its own token, held by the claiming run until `until`.
    pub fn claimed(&self, token: String, now: DateTime<Utc>, until: DateTime<Utc>) -> CampaignState {
        CampaignState {
            status: RowStatus::Dialing,
            attempt: Some(token),
            attempts: self.attempts.saturating_add(1),
            contact_id: None,
            updated_at: Some(now),
            to_call_at: Some(until),
            reason: None,
        }
    }

    /// An attempt whose contact was never learned ([`NextStep::Lost`]): unanswered as of its
    /// claim, so its retry wait runs from when it was made.
    pub fn lost(&self, now: DateTime<Utc>, policy: RetryPolicy) -> CampaignState {
        self.unanswered(self.updated_at.unwrap_or(now).min(now), policy)
    }

    /// The attempt's call was placed.
    pub fn placed(&self, contact_id: &str) -> CampaignState {
        CampaignState { contact_id: Some(contact_id.to_owned()), ..self.clone() }
    }

    /// A final status: out of the index.
    pub fn settled(&self, status: RowStatus, now: DateTime<Utc>) -> CampaignState {
        CampaignState { status, updated_at: Some(now), to_call_at: None, ..self.clone() }
    }

    /// Failed to dial, for good, and why (kept on the row for the people who load the list; at
    /// most [`MAX_REASON`] characters).
    pub fn failed(&self, reason: &str, now: DateTime<Utc>) -> CampaignState {
        let reason = reason.chars().take(MAX_REASON).collect();
        CampaignState { reason: Some(reason), ..self.settled(RowStatus::FailedToDial, now) }
    }

    /// Nobody answered: due again after the policy's wait, or final once the attempts are used.
    pub fn unanswered(&self, now: DateTime<Utc>, policy: RetryPolicy) -> CampaignState {
        let to_call_at = (self.attempts < policy.max_attempts).then(|| now + policy.retry_after);
        CampaignState { status: RowStatus::NoAnswer, updated_at: Some(now), to_call_at, ..self.clone() }
    }

    /// The same row, due at another time.
    pub fn due_at(&self, at: Option<DateTime<Utc>>) -> CampaignState {
        CampaignState { to_call_at: at, ..self.clone() }
    }
}

/// A row of the to-call index.
#[derive(Clone, PartialEq, Eq)]
pub struct CampaignRow {
    /// As stored; may be malformed (the list is the customer's data).
    pub phone_number: String,
    pub state: CampaignState,
    /// `DO_NOT_CALL` is set: no campaign calls this number again.
    pub do_not_call: bool,
    /// The customer's own time zone (`timeZone`), as stored.
    pub time_zone: Option<String>,
}

/// The number is personal data: masked in `Debug` too.
impl fmt::Debug for CampaignRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CampaignRow")
            .field("phone_number", &mask(&self.phone_number))
            .field("state", &self.state)
            .field("do_not_call", &self.do_not_call)
            .field("time_zone", &self.time_zone)
            .finish()
    }
}

/// When a no-answer is dialed again, and how often a customer is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub retry_after: TimeDelta,
    pub max_attempts: u32,
}

/// What a run does with a row the index gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// A new attempt, with a new token.
    Dial,
    /// An attempt whose run ended without learning its contact (Connect's answer was lost, or a
    /// campaign's request was never answered before it expired). Its token is not re-sent: the
    /// reference promises a repeated token returns the contact only while it is started, so a
    /// re-send after the call ended could ring the customer again. It counts as an unanswered
    /// attempt, dated from its claim: due again after the retry wait, within the attempts.
    Lost,
    /// A call an earlier run placed: ask Connect how it is doing.
    Check { contact_id: String },
    /// Not due yet: written back with its due time (an answer recorded no-input).
    Later(DateTime<Utc>),
    /// Nothing more to do: out of the index, status kept.
    Done,
    /// `DO_NOT_CALL` is set: opted out in this campaign too, out of the index.
    OptOut,
    /// Another run's claim, still held.
    Skip,
}

/// The step for a due row at `now`. Pure: the same row and time always give the same step.
pub fn next_step(row: &CampaignRow, now: DateTime<Utc>, policy: RetryPolicy) -> NextStep {
    let state = &row.state;
    let held = state.to_call_at.is_some_and(|at| at > now);
    if row.do_not_call && state.status != RowStatus::Dialing {
        return NextStep::OptOut;
    }
    match state.status {
        RowStatus::Pending if held => NextStep::Skip,
        RowStatus::Pending => NextStep::Dial,
        RowStatus::NoAnswer if state.attempts >= policy.max_attempts => NextStep::Done,
        RowStatus::NoAnswer => {
            let due = state.updated_at.map_or(now, |at| at + policy.retry_after);
            match due <= now {
                true if held => NextStep::Skip,
                true => NextStep::Dial,
                false if state.to_call_at == Some(due) => NextStep::Skip,
                false => NextStep::Later(due),
            }
        }
        RowStatus::Dialing if held => NextStep::Skip,
        RowStatus::Dialing => match (&state.contact_id, &state.attempt) {
            (Some(contact_id), _) => NextStep::Check { contact_id: contact_id.clone() },
            (None, Some(_)) => NextStep::Lost,
            // a claim without a token (made by hand): nothing was sent with it
            (None, None) => NextStep::Dial,
        },
        _ => NextStep::Done,
    }
}

/// How a Connect call a dialer placed is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallState {
    /// Ringing, in the IVR or in the queue: it may still need an agent.
    Waiting,
    /// Reached an agent (the call may have ended since): the customer talked to someone.
    WithAgent,
    /// Ended without reaching an agent.
    Ended,
}

/// A refusal by Connect that says nothing about the customer: no row changes, and the run
/// ends as a function error of this type so the alarm fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `InvalidParameterException`, `InvalidRequestException`, `ResourceNotFoundException`:
    /// a wrong flow, queue, source number or instance.
    Misconfigured,
    /// `AccessDeniedException` or any other 4xx: the role may not place the call.
    NotAllowed,
    /// `LimitExceededException`, throttling after every retry, none of which lost an answer:
    /// the account's quota.
    QuotaExceeded,
}

impl Refusal {
    pub fn error_type(self) -> &'static str {
        match self {
            Refusal::Misconfigured => "OutboundCallMisconfigured",
            Refusal::NotAllowed => "OutboundCallNotAllowed",
            Refusal::QuotaExceeded => "OutboundCallQuotaExceeded",
        }
    }
}

/// Why StartOutboundVoiceContact gave no contact ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialFailure {
    /// `DestinationNotAllowedException`: Connect will not dial this number.
    DestinationRefused,
    Refused(Refusal),
    /// A timeout, a 5xx after every retry, a lost connection, or a throttle of the retries that
    /// follow one of those: the call may have been placed.
    Uncertain,
}

/// What an Outbound Campaigns v2 campaign did with one request it was handed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandOver {
    /// Accepted: the campaign dials it (or lets it expire).
    Accepted,
    /// `InvalidInput`: this request will never be dialed (the customer's number or data).
    Invalid(String),
    /// `RequestThrottled`, `BufferLimitExceeded`, `UnknownError`: not taken now; the row goes back
    /// as it was and the run hands over no more.
    NotTaken(String),
}

impl HandOver {
    /// The campaign's per-request failure code, as `PutOutboundRequestBatch` reports it.
    pub fn from_failure_code(code: &str) -> HandOver {
        match code {
            "InvalidInput" => HandOver::Invalid(code.to_owned()),
            _ => HandOver::NotTaken(code.to_owned()),
        }
    }
}

/// Why a dialer run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    NothingDue,
    MaxCalls,
    /// The run read as many rows as it may (10 per call it may place).
    MaxRows,
    Deadline,
    OutsideCallingHours,
    Holiday,
    /// The holiday list is missing or unreadable: no call is safe.
    NoHolidayList,
    /// Connect refused a call for a reason that is not the customer's (a function error).
    CallRefused,
    /// Connect's answer to a call was lost (a function error); the row stays claimed.
    CallUncertain,
    /// The customers table could not be read or written (a function error).
    TableUnavailable,
    /// The Outbound Campaigns v2 campaign took no more requests (`RequestThrottled`,
    /// `BufferLimitExceeded`): "a signal for you to stop sending more records".
    CampaignBusy,
    /// `{"dryRun": true}`: the run only looked.
    DryRun,
}

impl StopReason {
    pub fn name(self) -> &'static str {
        match self {
            StopReason::NothingDue => "nothing_due",
            StopReason::MaxCalls => "max_calls",
            StopReason::MaxRows => "max_rows",
            StopReason::Deadline => "deadline",
            StopReason::OutsideCallingHours => "outside_calling_hours",
            StopReason::Holiday => "holiday",
            StopReason::NoHolidayList => "no_holiday_list",
            StopReason::CallRefused => "call_refused",
            StopReason::CallUncertain => "call_uncertain",
            StopReason::TableUnavailable => "table_unavailable",
            StopReason::CampaignBusy => "campaign_busy",
            StopReason::DryRun => "dry_run",
        }
    }
}

/// The shared queue now, for voice (GetCurrentMetricData, grouped by queue).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueNow {
    /// `AGENTS_AVAILABLE`: agents in the Available status for the queue.
    pub agents_available: u32,
    /// `SLOTS_AVAILABLE`: free voice slots of those agents; `None` when not reported.
    pub slots_available: Option<u32>,
    /// `CONTACTS_IN_QUEUE`: contacts already waiting, inbound callers among them.
    pub contacts_in_queue: u32,
}

/// How many more calls may be placed now: one per agent who is available with a free voice
/// slot, not already taken by a contact waiting in the queue (an inbound caller, or a customer
/// of ours who pressed 1) nor promised to a placed call still on its way. A placed call of ours
/// already queued counts twice, which only slows the pace; counting it once could ring a
/// customer with nobody to take them.
pub fn calls_allowed(queue: QueueNow, calls_waiting: usize) -> usize {
    let free = queue.slots_available.map_or(queue.agents_available, |slots| slots.min(queue.agents_available));
    let free = free.saturating_sub(queue.contacts_in_queue);
    usize::try_from(free).unwrap_or(usize::MAX).saturating_sub(calls_waiting)
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
        assert_eq!(campaign.attempt_attribute(), "spring_2026_attempt");
        assert_eq!(campaign.attempts_attribute(), "spring_2026_attempts");
        assert_eq!(campaign.reason_attribute(), "spring_2026_reason");
        for bad in ["", "a b", "phoneNumber", "#x", &"c".repeat(201), "キャンペーン"] {
            assert!(Campaign::parse(bad).is_err(), "{bad}");
        }
        assert!(Campaign::parse("a.b-c_1").is_ok());
    }

    #[test]
    fn row_status_codes_round_trip() {
        let codes: Vec<i64> = RowStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [-1, -3, -2, -4, 0, 1, 2, 3, 9]);
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
            ("9", Outcome::OptedOut, 9, true),
            ("#", Outcome::NoInput, -2, true),
            ("2#", Outcome::CallBack, 2, true),
            ("*", Outcome::NotInterested, 0, true),
            ("0", Outcome::NotInterested, 0, true),
            ("12", Outcome::NotInterested, 0, true),
            ("transfer_failed", Outcome::NotInterested, 0, true),
        ];
        for (input, outcome, code, disconnects) in cases {
            let got = Outcome::from_input(input);
            assert_eq!((got, got.status().code(), got.disconnects()), (outcome, code, disconnects), "{input:?}");
        }
        assert_eq!("email".parse::<Outcome>(), Ok(Outcome::Email));
        assert!("later".parse::<Outcome>().unwrap_err().contains("talk_now, call_back"));
        // the flow says so; no key means it
        let failed = Outcome::TransferFailed;
        assert_eq!(
            (failed.name(), failed.status(), failed.disconnects()),
            ("transfer_failed", RowStatus::NoAnswer, true)
        );
    }

    #[test]
    fn what_is_said_is_a_confirmation_only_when_recorded() {
        for outcome in Outcome::ALL {
            assert_eq!(Message::after(outcome, true), Message::Said(outcome));
        }
        let unrecorded: Vec<&str> = Outcome::ALL.map(|o| Message::after(o, false).name()).to_vec();
        assert_eq!(
            unrecorded,
            [
                "talk_now",
                "not_recorded",
                "not_recorded",
                "no_input",
                "not_recorded",
                "opted_out_not_recorded",
                "transfer_failed_not_recorded"
            ]
        );
        let messages = ChoiceMessages::default();
        for message in Message::all() {
            assert_eq!(message.name().parse::<Message>(), Ok(message));
            assert!(!messages.text(message).is_empty(), "{message:?} has a default");
        }
        assert!(!messages.text(Message::OptOutNotRecorded).contains("お電話することはございません"));
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
            (r#"{"later": "x"}"#, "unknown message \"later\""),
            (r#"{"email": 3}"#, "non-empty string"),
            (r#"{"email": " "}"#, "non-empty string"),
        ] {
            let err = ChoiceMessages::with_overrides(bad).unwrap_err().to_string();
            assert!(err.starts_with("CHOICE_MESSAGES: ") && err.contains(expected), "{bad}: {err}");
        }
    }

    #[test]
    fn pacing_allows_one_call_per_free_agent() {
        let agents = |n| QueueNow { agents_available: n, ..QueueNow::default() };
        assert_eq!(calls_allowed(agents(0), 0), 0);
        assert_eq!(calls_allowed(agents(1), 0), 1);
        assert_eq!(calls_allowed(agents(1), 1), 0);
        assert_eq!(calls_allowed(agents(3), 1), 2);
        assert_eq!(calls_allowed(agents(1), 4), 0, "more waiting than agents");
        let queued = QueueNow { agents_available: 3, slots_available: None, contacts_in_queue: 2 };
        assert_eq!(calls_allowed(queued, 0), 1, "two callers already wait for those agents");
        assert_eq!(calls_allowed(queued, 1), 0);
        let busy_slots = QueueNow { agents_available: 3, slots_available: Some(1), contacts_in_queue: 0 };
        assert_eq!(calls_allowed(busy_slots, 0), 1, "available, but only one voice slot free");
        let full = QueueNow { agents_available: 2, slots_available: Some(2), contacts_in_queue: 5 };
        assert_eq!(calls_allowed(full, 0), 0);
    }

    #[test]
    fn safety_margin_is_a_quarter_up_to_ten_seconds() {
        assert_eq!(safety_margin(Duration::from_secs(4)), Duration::from_secs(1));
        assert_eq!(safety_margin(Duration::from_secs(300)), Duration::from_secs(10));
        assert_eq!(safety_margin(Duration::ZERO), Duration::ZERO);
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const POLICY: RetryPolicy = RetryPolicy { retry_after: TimeDelta::minutes(60), max_attempts: 3 };

    fn row(state: CampaignState) -> CampaignRow {
        CampaignRow { phone_number: "+819012345678".into(), state, do_not_call: false, time_zone: None }
    }

    #[test]
    fn next_step_for_each_state_of_a_row() {
        let now = at("2026-12-04T10:00:00Z");
        let loaded = CampaignState::pending(at("2026-12-01T00:00:00Z"));
        let claim = loaded.claimed("t-1".into(), at("2026-12-04T09:00:00Z"), at("2026-12-04T09:05:00Z"));
        let live = loaded.claimed("t-2".into(), now, at("2026-12-04T10:05:00Z"));
        let placed = claim.placed("c-1");
        let unanswered = placed.unanswered(at("2026-12-04T09:30:00Z"), POLICY);
        let retry_due = placed.unanswered(at("2026-12-04T08:30:00Z"), POLICY);
        let mut used_up = retry_due.clone();
        used_up.attempts = 3;
        let mut no_input = placed.clone();
        no_input.status = RowStatus::NoAnswer;
        no_input.updated_at = Some(at("2026-12-04T09:30:00Z"));
        let cases = [
            (loaded.clone(), NextStep::Dial),
            (loaded.due_at(Some(at("2026-12-05T00:00:00Z"))), NextStep::Skip),
            (claim.clone(), NextStep::Lost),
            (live, NextStep::Skip),
            (placed.clone(), NextStep::Check { contact_id: "c-1".into() }),
            (unanswered, NextStep::Skip),
            (retry_due, NextStep::Dial),
            (used_up, NextStep::Done),
            (no_input, NextStep::Later(at("2026-12-04T10:30:00Z"))),
            (placed.settled(RowStatus::Email, now), NextStep::Done),
            (CampaignState { attempt: None, ..claim.clone() }, NextStep::Dial),
        ];
        for (state, expected) in cases {
            let got = next_step(&row(state.clone()), now, POLICY);
            assert_eq!(got, expected, "{state:?}");
        }
        let opted_out = CampaignRow { do_not_call: true, ..row(loaded) };
        assert_eq!(next_step(&opted_out, now, POLICY), NextStep::OptOut);
        let on_the_phone = CampaignRow { do_not_call: true, ..row(placed) };
        assert!(
            matches!(next_step(&on_the_phone, now, POLICY), NextStep::Check { .. }),
            "a call in progress settles first"
        );
    }

    #[test]
    fn attempts_count_claims_and_retries_end_at_the_maximum() {
        let now = at("2026-12-04T10:00:00Z");
        let mut state = CampaignState::pending(now);
        for attempt in 1..=3 {
            state = state.claimed(format!("t-{attempt}"), now, now).placed("c").unanswered(now, POLICY);
            assert_eq!(state.attempts, attempt);
            let due = (attempt < 3).then(|| now + TimeDelta::minutes(60));
            assert_eq!(state.to_call_at, due, "attempt {attempt}");
        }
        let taken = state.claimed("t-4".into(), now, now + TimeDelta::minutes(5));
        assert_eq!((taken.attempts, taken.attempt.as_deref()), (4, Some("t-4")));
        let claimed_at = at("2026-12-04T09:00:00Z");
        let lost = CampaignState::pending(now).claimed("t-6".into(), claimed_at, claimed_at).lost(now, POLICY);
        assert_eq!(
            (lost.status, lost.attempts, lost.to_call_at),
            (RowStatus::NoAnswer, 1, Some(claimed_at + TimeDelta::minutes(60))),
            "a lost attempt counts, its wait from the claim"
        );
        assert_eq!(lost.claimed("t-7".into(), now, now).attempts, 2);
        assert_eq!(taken.settled(RowStatus::FailedToDial, now).to_call_at, None);
        let failed = taken.failed(&format!("unknown time zone: {}", "x".repeat(300)), now);
        assert_eq!((failed.status, failed.to_call_at), (RowStatus::FailedToDial, None));
        assert_eq!(failed.reason.as_deref().map(|r| r.chars().count()), Some(MAX_REASON));
        assert_eq!(failed.claimed("t-5".into(), now, now).reason, None, "a new attempt has no reason");
    }

    #[test]
    fn a_row_never_shows_its_number_in_debug() {
        let shown = format!("{:?}", row(CampaignState::pending(at("2026-12-04T10:00:00Z"))));
        assert!(!shown.contains("9012345678") && shown.contains("+81******5678"), "{shown}");
    }

    #[test]
    fn refusals_have_stable_error_types() {
        let types: Vec<&str> =
            [Refusal::Misconfigured, Refusal::NotAllowed, Refusal::QuotaExceeded].map(Refusal::error_type).to_vec();
        assert_eq!(types, ["OutboundCallMisconfigured", "OutboundCallNotAllowed", "OutboundCallQuotaExceeded"]);
    }
}
