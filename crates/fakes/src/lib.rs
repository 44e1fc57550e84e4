//! In-memory implementations of the domain's ports, the sample events, the contract check and
//! property-test inputs, for the functions' handler tests (a dev-dependency only: none of this is in
//! a deployed binary).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Duration, Utc};

use connect_core::agents::AgentState;
use connect_core::assignments::{Assignment, RecordOutcome};
use connect_core::campaign::{
    CallState, Campaign, CampaignRow, CampaignState, Choice, ChoiceWrite, DialFailure, QueueNow, RowStatus,
};
use connect_core::holidays::Holiday;
use connect_core::overrides::ExistingOverride;
use connect_core::phone::CallerNumber;
use connect_core::ports::{
    AgentDirectory, AssignmentStore, AttemptTokens, CalendarSource, CallRequest, CampaignCalendar, CampaignTable,
    Clock, ContactDetails, ContactHistory, DoNotCallList, HolidayStore, HoursOverrides, Notifier, OutboundCalls,
    RowPage, Stored,
};

/// A panicking test poisons nothing here: the data stays usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct FakeError(pub String);

/// A clock the test moves by hand.
#[derive(Debug)]
pub struct FakeClock(Mutex<DateTime<Utc>>);

impl FakeClock {
    /// An unparsable time starts the clock at the epoch, which the test's dates then expose.
    pub fn at(rfc3339: &str) -> Self {
        FakeClock(Mutex::new(rfc3339.parse().unwrap_or(DateTime::UNIX_EPOCH)))
    }
    pub fn advance(&self, by: Duration) {
        *lock(&self.0) += by;
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// Calendar bodies by URL; a URL without a body fails like a broken download. Downloads are
/// counted per URL.
#[derive(Debug, Default)]
pub struct FakeCalendars {
    bodies: HashMap<String, Vec<u8>>,
    fetches: Mutex<BTreeMap<String, usize>>,
}

impl FakeCalendars {
    pub fn with(mut self, url: &str, body: impl Into<Vec<u8>>) -> Self {
        self.bodies.insert(url.to_owned(), body.into());
        self
    }
    pub fn fetches(&self, url: &str) -> usize {
        lock(&self.fetches).get(url).copied().unwrap_or(0)
    }
}

impl CalendarSource for FakeCalendars {
    type Error = FakeError;
    async fn fetch(&self, url: &str) -> Result<Vec<u8>, FakeError> {
        *lock(&self.fetches).entry(url.to_owned()).or_default() += 1;
        self.bodies.get(url).cloned().ok_or_else(|| FakeError(format!("GET {url} answered HTTP 503")))
    }
}

/// One object with an entity tag that changes on every save; reads and writes are counted and
/// can be made to fail.
#[derive(Debug, Default)]
pub struct FakeStore {
    state: Mutex<FakeStoreState>,
}

#[derive(Debug, Default)]
struct FakeStoreState {
    body: Option<Vec<u8>>,
    version: u32,
    loads: usize,
    saves: usize,
    failing: Option<String>,
}

impl FakeStore {
    pub fn holding(body: impl Into<Vec<u8>>) -> Self {
        let store = FakeStore::default();
        store.put(body);
        store
    }
    /// Replaces the object as another writer would.
    pub fn put(&self, body: impl Into<Vec<u8>>) {
        let mut s = lock(&self.state);
        s.body = Some(body.into());
        s.version += 1;
    }
    pub fn delete(&self) {
        lock(&self.state).body = None;
    }
    pub fn body(&self) -> Option<Vec<u8>> {
        lock(&self.state).body.clone()
    }
    pub fn loads(&self) -> usize {
        lock(&self.state).loads
    }
    pub fn saves(&self) -> usize {
        lock(&self.state).saves
    }
    /// Every call fails with this message until `None`.
    pub fn fail_with(&self, message: Option<&str>) {
        lock(&self.state).failing = message.map(str::to_owned);
    }
}

impl HolidayStore for FakeStore {
    type Error = FakeError;

    async fn load(&self, if_none_match: Option<&str>) -> Result<Stored, FakeError> {
        let mut s = lock(&self.state);
        s.loads += 1;
        if let Some(message) = &s.failing {
            return Err(FakeError(message.clone()));
        }
        let etag = format!("\"v{}\"", s.version);
        Ok(match &s.body {
            None => Stored::Missing,
            Some(_) if if_none_match == Some(etag.as_str()) => Stored::NotModified,
            Some(body) => Stored::Current { body: body.clone(), etag: Some(etag) },
        })
    }

    async fn save(&self, body: Vec<u8>) -> Result<(), FakeError> {
        let mut s = lock(&self.state);
        s.saves += 1;
        if let Some(message) = &s.failing {
            return Err(FakeError(message.clone()));
        }
        s.body = Some(body);
        s.version += 1;
        Ok(())
    }
}

/// Records every notice.
#[derive(Debug, Default)]
pub struct FakeNotifier(Mutex<Vec<(String, String)>>);

impl FakeNotifier {
    pub fn notices(&self) -> Vec<(String, String)> {
        lock(&self.0).clone()
    }
}

impl Notifier for FakeNotifier {
    type Error = FakeError;
    async fn notify(&self, subject: &str, message: &str) -> Result<(), FakeError> {
        lock(&self.0).push((subject.to_owned(), message.to_owned()));
        Ok(())
    }
}

/// Assignments by number, with the store's conditional-write rule; reads and writes are
/// counted and can be made to fail.
#[derive(Debug, Default)]
pub struct FakeAssignments {
    state: Mutex<FakeAssignmentsState>,
}

#[derive(Debug, Default)]
struct FakeAssignmentsState {
    items: HashMap<String, Assignment>,
    reads: usize,
    writes: usize,
    failing: Option<String>,
}

impl FakeAssignments {
    pub fn holding(assignments: impl IntoIterator<Item = Assignment>) -> Self {
        let store = FakeAssignments::default();
        lock(&store.state).items.extend(assignments.into_iter().map(|a| (a.caller.as_e164().to_owned(), a)));
        store
    }
    pub fn get(&self, number: &str) -> Option<Assignment> {
        lock(&self.state).items.get(number).cloned()
    }
    pub fn reads(&self) -> usize {
        lock(&self.state).reads
    }
    pub fn writes(&self) -> usize {
        lock(&self.state).writes
    }
    pub fn fail_with(&self, message: Option<&str>) {
        lock(&self.state).failing = message.map(str::to_owned);
    }
}

impl AssignmentStore for FakeAssignments {
    type Error = FakeError;

    async fn find(&self, caller: &CallerNumber) -> Result<Option<Assignment>, FakeError> {
        let mut s = lock(&self.state);
        s.reads += 1;
        if let Some(message) = &s.failing {
            return Err(FakeError(message.clone()));
        }
        Ok(s.items.get(caller.as_e164()).cloned())
    }

    async fn record(&self, assignment: &Assignment) -> Result<RecordOutcome, FakeError> {
        let mut s = lock(&self.state);
        s.writes += 1;
        if let Some(message) = &s.failing {
            return Err(FakeError(message.clone()));
        }
        let key = assignment.caller.as_e164().to_owned();
        let writable = s.items.get(&key).is_none_or(|stored| {
            stored.contact_id == assignment.contact_id || stored.updated_at < assignment.updated_at
        });
        if !writable {
            return Ok(RecordOutcome::Superseded);
        }
        s.items.insert(key, assignment.clone());
        Ok(RecordOutcome::Written)
    }
}

/// A fixed set of agents whose state the test changes; reads are counted and can fail.
#[derive(Debug, Default)]
pub struct FakeDirectory {
    state: Mutex<FakeDirectoryState>,
}

#[derive(Debug, Default)]
struct FakeDirectoryState {
    agents: Vec<AgentState>,
    /// routing profile -> its queues; a profile not set serves none.
    profile_queues: HashMap<String, Vec<String>>,
    reads: usize,
    failing: Option<String>,
}

impl FakeDirectory {
    pub fn with(agents: impl IntoIterator<Item = AgentState>) -> Self {
        let directory = FakeDirectory::default();
        lock(&directory.state).agents.extend(agents);
        directory
    }
    /// Sets an agent's status (`None`: logged out).
    pub fn set_status(&self, id: &str, status: Option<&str>) {
        if let Some(agent) = lock(&self.state).agents.iter_mut().find(|a| a.id == id) {
            agent.status_name = status.map(str::to_owned);
        }
    }
    /// Sets an agent's free voice slots (`Some(0)`: on a call, in After Contact Work, or a routing
    /// profile without voice).
    pub fn set_free_voice_slots(&self, id: &str, slots: Option<u32>) {
        if let Some(agent) = lock(&self.state).agents.iter_mut().find(|a| a.id == id) {
            agent.free_voice_slots = slots;
        }
    }
    /// Moves an agent to another routing profile.
    pub fn set_routing_profile(&self, id: &str, routing_profile_id: &str) {
        if let Some(agent) = lock(&self.state).agents.iter_mut().find(|a| a.id == id) {
            agent.routing_profile_id = Some(routing_profile_id.to_owned());
        }
    }
    pub fn reads(&self) -> usize {
        lock(&self.state).reads
    }
    pub fn fail_with(&self, message: Option<&str>) {
        lock(&self.state).failing = message.map(str::to_owned);
    }
    /// The queues a routing profile serves on voice (unset: none).
    pub fn set_profile_queues(&self, routing_profile_id: &str, queues: &[&str]) {
        let queues = queues.iter().map(|q| (*q).to_owned()).collect();
        lock(&self.state).profile_queues.insert(routing_profile_id.to_owned(), queues);
    }
    fn read(&self) -> Result<Vec<AgentState>, FakeError> {
        let mut s = lock(&self.state);
        s.reads += 1;
        match &s.failing {
            Some(message) => Err(FakeError(message.clone())),
            None => Ok(s.agents.clone()),
        }
    }
}

impl AgentDirectory for FakeDirectory {
    type Error = FakeError;

    async fn agents(&self, ids: &[String]) -> Result<Vec<AgentState>, FakeError> {
        Ok(self.read()?.into_iter().filter(|a| ids.contains(&a.id)).collect())
    }

    async fn candidates(&self) -> Result<Vec<AgentState>, FakeError> {
        Ok(self.read()?.into_iter().filter(|a| a.status_name.is_some()).collect())
    }

    async fn profile_queues(&self, routing_profile_id: &str) -> Result<Vec<String>, FakeError> {
        let s = lock(&self.state);
        Ok(s.profile_queues.get(routing_profile_id).cloned().unwrap_or_default())
    }
}

/// A past contact: number, initiated at, agent ID if it reached one.
type PastContact = (String, DateTime<Utc>, Option<String>);

#[derive(Debug, Default)]
pub struct FakeHistory {
    contacts: Mutex<Vec<PastContact>>,
    failing: Mutex<Option<String>>,
}

impl FakeHistory {
    pub fn with(self, number: &str, at: &str, agent_id: Option<&str>) -> Self {
        let at = at.parse().unwrap_or(DateTime::UNIX_EPOCH);
        lock(&self.contacts).push((number.to_owned(), at, agent_id.map(str::to_owned)));
        self
    }
    pub fn fail_with(&self, message: Option<&str>) {
        *lock(&self.failing) = message.map(str::to_owned);
    }
}

impl ContactHistory for FakeHistory {
    type Error = FakeError;

    async fn last_agent(
        &self,
        caller: &CallerNumber,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<String>, FakeError> {
        if let Some(message) = lock(&self.failing).clone() {
            return Err(FakeError(message));
        }
        let contacts = lock(&self.contacts);
        let newest = contacts
            .iter()
            .filter(|(number, at, agent)| number == caller.as_e164() && (since..=until).contains(at) && agent.is_some())
            .max_by_key(|(_, at, _)| *at);
        Ok(newest.and_then(|(_, _, agent)| agent.clone()))
    }
}

/// Contacts by ID with their customer's address (`None`: withheld).
#[derive(Debug, Default)]
pub struct FakeContacts {
    contacts: Mutex<HashMap<String, Option<String>>>,
    failing: Mutex<Option<String>>,
    asked: Mutex<usize>,
}

impl FakeContacts {
    pub fn with(self, contact_id: &str, address: Option<&str>) -> Self {
        lock(&self.contacts).insert(contact_id.to_owned(), address.map(str::to_owned));
        self
    }
    pub fn fail_with(&self, message: Option<&str>) {
        *lock(&self.failing) = message.map(str::to_owned);
    }
    /// DescribeContact requests so far.
    pub fn asked(&self) -> usize {
        *lock(&self.asked)
    }
}

impl ContactDetails for FakeContacts {
    type Error = FakeError;

    async fn customer_address(&self, instance_id: &str, contact_id: &str) -> Result<Option<String>, FakeError> {
        *lock(&self.asked) += 1;
        if instance_id.starts_with("arn:") {
            return Err(FakeError(format!("DescribeContact takes an instance ID, not {instance_id}")));
        }
        if let Some(message) = lock(&self.failing).clone() {
            return Err(FakeError(message));
        }
        lock(&self.contacts)
            .get(contact_id)
            .cloned()
            .ok_or_else(|| FakeError(format!("contact {contact_id} not found")))
    }
}

/// One customer's row, as [`FakeCampaignTable`] keeps it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeRow {
    /// `None` when the row is not in the campaign.
    pub state: Option<CampaignState>,
    pub do_not_call: bool,
    pub time_zone: Option<String>,
}

/// When the fake's loaded rows are due: long before any test's clock.
pub fn loaded_at() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH
}

/// A customers table for one campaign, with the DynamoDB adapter's conditions and a to-call
/// index read page by page; reads and writes are counted and can be made to fail.
#[derive(Debug)]
pub struct FakeCampaignTable {
    state: Mutex<FakeCampaignState>,
}

#[derive(Debug)]
struct FakeCampaignState {
    rows: BTreeMap<String, FakeRow>,
    page_size: usize,
    pages: usize,
    writes: usize,
    failing: Option<String>,
    failing_writes: Option<String>,
}

impl Default for FakeCampaignTable {
    fn default() -> Self {
        FakeCampaignTable {
            state: Mutex::new(FakeCampaignState {
                rows: BTreeMap::new(),
                page_size: 100,
                pages: 0,
                writes: 0,
                failing: None,
                failing_writes: None,
            }),
        }
    }
}

impl FakeCampaignTable {
    /// Rows by number with their status (`None`: the customer is not in the campaign yet),
    /// due since [`loaded_at`].
    pub fn with(rows: impl IntoIterator<Item = (&'static str, Option<RowStatus>)>) -> Self {
        let table = FakeCampaignTable::default();
        for (number, status) in rows {
            let state = status.map(|status| CampaignState { status, ..CampaignState::pending(loaded_at()) });
            table.put(number, FakeRow { state, ..FakeRow::default() });
        }
        table
    }
    /// Rows loaded as pending, due since [`loaded_at`].
    pub fn pending(numbers: &[&str]) -> Self {
        let table = FakeCampaignTable::default();
        for number in numbers {
            table.put(number, FakeRow { state: Some(CampaignState::pending(loaded_at())), ..FakeRow::default() });
        }
        table
    }
    pub fn put(&self, number: &str, row: FakeRow) {
        lock(&self.state).rows.insert(number.to_owned(), row);
    }
    pub fn row(&self, number: &str) -> Option<FakeRow> {
        lock(&self.state).rows.get(number).cloned()
    }
    pub fn state(&self, number: &str) -> Option<CampaignState> {
        self.row(number)?.state
    }
    pub fn status(&self, number: &str) -> Option<RowStatus> {
        Some(self.state(number)?.status)
    }
    pub fn set_page_size(&self, rows: usize) {
        lock(&self.state).page_size = rows.max(1);
    }
    /// Pages of the index read so far.
    pub fn pages(&self) -> usize {
        lock(&self.state).pages
    }
    pub fn writes(&self) -> usize {
        lock(&self.state).writes
    }
    /// Every request fails with `message` (`None`: they work again).
    pub fn fail_with(&self, message: Option<&str>) {
        lock(&self.state).failing = message.map(str::to_owned);
    }
    /// Writes fail with `message`; reads still work.
    pub fn fail_writes_with(&self, message: Option<&str>) {
        lock(&self.state).failing_writes = message.map(str::to_owned);
    }
    /// Counts a write and applies `change` to the row when it exists; the row's answer.
    fn write<T>(&self, number: &str, missing: T, change: impl FnOnce(&mut FakeRow) -> T) -> Result<T, FakeError> {
        let mut s = lock(&self.state);
        s.writes += 1;
        if let Some(message) = s.failing.as_ref().or(s.failing_writes.as_ref()) {
            return Err(FakeError(message.clone()));
        }
        Ok(s.rows.get_mut(number).map(change).unwrap_or(missing))
    }
}

fn page_key(at: DateTime<Utc>, number: &str) -> String {
    format!("{}|{number}", at.to_rfc3339())
}

impl CampaignTable for FakeCampaignTable {
    type Error = FakeError;

    async fn pending_count(&self, _campaign: &Campaign) -> Result<u64, FakeError> {
        let s = lock(&self.state);
        if let Some(message) = &s.failing {
            return Err(FakeError(message.clone()));
        }
        let pending = s.rows.values().filter(|row| row.state.as_ref().is_some_and(|st| st.to_call_at.is_some()));
        Ok(pending.count() as u64)
    }

    async fn due_rows(
        &self,
        _campaign: &Campaign,
        due_by: DateTime<Utc>,
        after: Option<&str>,
    ) -> Result<RowPage, FakeError> {
        let mut s = lock(&self.state);
        s.pages += 1;
        if let Some(message) = &s.failing {
            return Err(FakeError(message.clone()));
        }
        let mut due: Vec<(String, CampaignRow)> = s
            .rows
            .iter()
            .filter_map(|(number, row)| {
                let state = row.state.clone()?;
                let at = state.to_call_at.filter(|at| *at <= due_by)?;
                let row = CampaignRow {
                    phone_number: number.clone(),
                    state,
                    do_not_call: row.do_not_call,
                    time_zone: row.time_zone.clone(),
                };
                Some((page_key(at, number), row))
            })
            .filter(|(key, _)| after.is_none_or(|after| key.as_str() > after))
            .collect();
        due.sort_by(|a, b| a.0.cmp(&b.0));
        let next = (due.len() > s.page_size).then(|| due[s.page_size - 1].0.clone());
        Ok(RowPage { rows: due.into_iter().take(s.page_size).map(|(_, row)| row).collect(), next })
    }

    async fn update(
        &self,
        _campaign: &Campaign,
        phone_number: &str,
        seen: &CampaignState,
        new: &CampaignState,
    ) -> Result<bool, FakeError> {
        self.write(phone_number, false, |row| {
            let unchanged = row.state.as_ref().is_some_and(|state| {
                state.status == seen.status && state.attempt == seen.attempt && state.contact_id == seen.contact_id
            });
            if unchanged {
                row.state = Some(new.clone());
            }
            unchanged
        })
    }

    async fn record_choice(&self, _campaign: &Campaign, choice: &Choice) -> Result<ChoiceWrite, FakeError> {
        self.write(choice.customer.as_e164(), ChoiceWrite::UnknownCustomer, |row| {
            let state = row.state.clone();
            let same_contact = state.as_ref().and_then(|s| s.contact_id.as_deref()) == Some(choice.contact_id.as_str());
            let writable = same_contact
                || match &choice.attempt {
                    Some(token) => state.as_ref().and_then(|s| s.attempt.as_ref()) == Some(token),
                    None => state.as_ref().and_then(|s| s.updated_at).is_none_or(|at| at <= choice.placed_at),
                };
            if !writable {
                return ChoiceWrite::Superseded;
            }
            let mut state = state
                .unwrap_or_else(|| CampaignState { to_call_at: None, ..CampaignState::pending(choice.recorded_at) });
            state.status = choice.status;
            state.contact_id = Some(choice.contact_id.clone());
            state.updated_at = Some(choice.recorded_at);
            if choice.due_again.is_some() {
                state.to_call_at = choice.due_again;
            } else if choice.status.answered() {
                state.to_call_at = None;
            }
            row.do_not_call |= choice.status == RowStatus::OptedOut;
            row.state = Some(state);
            ChoiceWrite::Recorded
        })
    }
}

/// A do-not-call list in memory; lookups are counted and can fail.
#[derive(Default)]
pub struct FakeDoNotCall {
    state: Mutex<(BTreeSet<String>, usize, Option<String>)>,
}

impl FakeDoNotCall {
    pub fn listing(numbers: &[&str]) -> Self {
        let list = FakeDoNotCall::default();
        lock(&list.state).0.extend(numbers.iter().map(|n| (*n).to_owned()));
        list
    }
    pub fn listed(&self, number: &str) -> bool {
        lock(&self.state).0.contains(number)
    }
    pub fn lookups(&self) -> usize {
        lock(&self.state).1
    }
    pub fn fail_with(&self, message: Option<&str>) {
        lock(&self.state).2 = message.map(str::to_owned);
    }
}

/// Holds numbers: `Debug` shows how many, not which.
impl std::fmt::Debug for FakeDoNotCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = lock(&self.state);
        f.debug_struct("FakeDoNotCall").field("numbers", &s.0.len()).field("lookups", &s.1).finish()
    }
}

impl DoNotCallList for FakeDoNotCall {
    type Error = FakeError;

    async fn contains(&self, phone_number: &str) -> Result<bool, FakeError> {
        let mut s = lock(&self.state);
        s.1 += 1;
        match &s.2 {
            Some(message) => Err(FakeError(message.clone())),
            None => Ok(s.0.contains(phone_number)),
        }
    }

    async fn add(&self, customer: &CallerNumber, _campaign: &Campaign, _at: DateTime<Utc>) -> Result<(), FakeError> {
        let mut s = lock(&self.state);
        if let Some(message) = &s.2 {
            return Err(FakeError(message.clone()));
        }
        s.0.insert(customer.as_e164().to_owned());
        Ok(())
    }
}

/// Tokens `token-1`, `token-2`, ... in order.
#[derive(Debug, Default)]
pub struct FakeTokens(Mutex<usize>);

impl AttemptTokens for FakeTokens {
    fn new_token(&self) -> String {
        let mut n = lock(&self.0);
        *n += 1;
        format!("token-{n}")
    }
}

/// An Outbound Campaigns v2 campaign that keeps what it is handed (once per token), with
/// per-request refusals and whole-batch failures the test sets.
#[derive(Debug, Default)]
pub struct FakeCampaignRequests {
    state: Mutex<FakeCampaignRequestsState>,
}

#[derive(Debug, Default)]
struct FakeCampaignRequestsState {
    handed: Vec<(CallRequest, DateTime<Utc>)>,
    batches: usize,
    /// Accepts at most this many requests in all; beyond, `RequestThrottled`.
    capacity: Option<usize>,
    invalid: BTreeSet<String>,
    batch_failures: VecDeque<DialFailure>,
}

impl FakeCampaignRequests {
    /// Requests accepted, in order (a token once), with their expiry.
    pub fn handed(&self) -> Vec<(CallRequest, DateTime<Utc>)> {
        lock(&self.state).handed.clone()
    }
    pub fn batches(&self) -> usize {
        lock(&self.state).batches
    }
    pub fn set_capacity(&self, capacity: Option<usize>) {
        lock(&self.state).capacity = capacity;
    }
    /// Requests to this E.164 number are `InvalidInput`.
    pub fn refuse_number(&self, number: &str) {
        lock(&self.state).invalid.insert(number.to_owned());
    }
    /// The next batch fails as a whole with `failure` (`Uncertain`: after being accepted).
    pub fn fail_next_batch(&self, failure: DialFailure) {
        lock(&self.state).batch_failures.push_back(failure);
    }
}

impl connect_core::ports::CampaignRequests for FakeCampaignRequests {
    type Error = FakeError;

    async fn hand_over(
        &self,
        calls: &[CallRequest],
        expires_at: DateTime<Utc>,
    ) -> Result<Vec<connect_core::campaign::HandOver>, (DialFailure, FakeError)> {
        use connect_core::campaign::HandOver;
        let mut s = lock(&self.state);
        s.batches += 1;
        let failure = s.batch_failures.pop_front();
        if let Some(failure) = failure.filter(|f| *f != DialFailure::Uncertain) {
            return Err((failure, FakeError(format!("{failure:?}"))));
        }
        let mut outcomes = Vec::new();
        for call in calls {
            let known = s.handed.iter().any(|(c, _)| c.client_token == call.client_token);
            let outcome = if known {
                HandOver::Accepted
            } else if s.invalid.contains(call.destination.as_e164()) {
                HandOver::Invalid("InvalidInput".to_owned())
            } else if s.capacity.is_some_and(|cap| s.handed.len() >= cap) {
                HandOver::NotTaken("RequestThrottled".to_owned())
            } else {
                s.handed.push((call.clone(), expires_at));
                HandOver::Accepted
            };
            outcomes.push(outcome);
        }
        match failure {
            Some(lost) => Err((lost, FakeError("the answer was lost".to_owned()))),
            None => Ok(outcomes),
        }
    }
}

/// A queue with a settable number of available agents; placed calls are kept (once per client
/// token, as Connect does) and their states set by the test.
#[derive(Debug, Default)]
pub struct FakeOutbound {
    state: Mutex<FakeOutboundState>,
}

#[derive(Debug, Default)]
struct FakeOutboundState {
    /// `None`: the metric request fails.
    available: Option<u32>,
    in_queue: u32,
    placed: Vec<CallRequest>,
    requests: usize,
    by_token: HashMap<String, String>,
    states: HashMap<String, CallState>,
    place_failures: VecDeque<DialFailure>,
    lost_responses: usize,
    metric_reads: usize,
}

impl FakeOutbound {
    pub fn with_available(agents: u32) -> Self {
        let outbound = FakeOutbound::default();
        outbound.set_available(Some(agents));
        outbound
    }
    pub fn set_available(&self, agents: Option<u32>) {
        lock(&self.state).available = agents;
    }
    /// Contacts waiting in the queue (`CONTACTS_IN_QUEUE`).
    pub fn set_in_queue(&self, contacts: u32) {
        lock(&self.state).in_queue = contacts;
    }
    /// Calls placed, in order (a token once).
    pub fn placed(&self) -> Vec<CallRequest> {
        lock(&self.state).placed.clone()
    }
    /// StartOutboundVoiceContact requests, re-sent tokens and failures included.
    pub fn requests(&self) -> usize {
        lock(&self.state).requests
    }
    /// The contact ID of the n-th placed call (0-based), as [`OutboundCalls::place`] gave it.
    pub fn contact_id(n: usize) -> String {
        format!("contact-{}", n + 1)
    }
    pub fn set_state(&self, contact_id: &str, state: CallState) {
        lock(&self.state).states.insert(contact_id.to_owned(), state);
    }
    /// The next call attempts fail before Connect places anything, one per entry.
    pub fn fail_next_place(&self, failure: DialFailure) {
        lock(&self.state).place_failures.push_back(failure);
    }
    /// The next `n` requests place their call (once per token) but the answer is lost.
    pub fn lose_responses(&self, n: usize) {
        lock(&self.state).lost_responses = n;
    }
    pub fn metric_reads(&self) -> usize {
        lock(&self.state).metric_reads
    }
}

impl OutboundCalls for FakeOutbound {
    type Error = FakeError;

    async fn queue_now(&self) -> Result<QueueNow, FakeError> {
        let mut s = lock(&self.state);
        s.metric_reads += 1;
        let agents_available = s.available.ok_or_else(|| FakeError("metric unavailable".into()))?;
        Ok(QueueNow { agents_available, slots_available: None, contacts_in_queue: s.in_queue })
    }

    async fn place(&self, call: &CallRequest) -> Result<String, (DialFailure, FakeError)> {
        let mut s = lock(&self.state);
        s.requests += 1;
        if let Some(failure) = s.place_failures.pop_front() {
            return Err((failure, FakeError(format!("{failure:?}"))));
        }
        let contact_id = match s.by_token.get(&call.client_token) {
            Some(contact_id) => contact_id.clone(),
            None => {
                let contact_id = FakeOutbound::contact_id(s.placed.len());
                s.by_token.insert(call.client_token.clone(), contact_id.clone());
                s.placed.push(call.clone());
                contact_id
            }
        };
        if s.lost_responses > 0 {
            s.lost_responses -= 1;
            return Err((DialFailure::Uncertain, FakeError("response lost".into())));
        }
        Ok(contact_id)
    }

    async fn call_state(&self, contact_id: &str) -> Result<CallState, FakeError> {
        Ok(lock(&self.state).states.get(contact_id).copied().unwrap_or(CallState::Waiting))
    }
}

/// Outbound Campaigns v2 campaigns' restricted periods by campaign ID; writes are counted, and a
/// campaign can refuse them (as a started campaign does).
#[derive(Debug, Default)]
pub struct FakeCampaigns {
    state: Mutex<FakeCampaignsState>,
}

#[derive(Debug, Default)]
struct FakeCampaignsState {
    periods: BTreeMap<String, Vec<connect_core::restricted_periods::RestrictedPeriod>>,
    refusing: BTreeMap<String, String>,
    writes: usize,
}

impl FakeCampaigns {
    pub fn add(&self, campaign_id: &str, periods: Vec<connect_core::restricted_periods::RestrictedPeriod>) {
        lock(&self.state).periods.insert(campaign_id.to_owned(), periods);
    }
    pub fn periods(&self, campaign_id: &str) -> Vec<connect_core::restricted_periods::RestrictedPeriod> {
        lock(&self.state).periods.get(campaign_id).cloned().unwrap_or_default()
    }
    /// Writes to `campaign_id` fail with `message` from now on.
    pub fn refuse_writes(&self, campaign_id: &str, message: &str) {
        lock(&self.state).refusing.insert(campaign_id.to_owned(), message.to_owned());
    }
    pub fn writes(&self) -> usize {
        lock(&self.state).writes
    }
}

impl CampaignCalendar for FakeCampaigns {
    type Error = FakeError;

    async fn restricted_periods(
        &self,
        campaign_id: &str,
    ) -> Result<Vec<connect_core::restricted_periods::RestrictedPeriod>, FakeError> {
        let s = lock(&self.state);
        s.periods.get(campaign_id).cloned().ok_or_else(|| FakeError(format!("no campaign {campaign_id}")))
    }

    async fn set_restricted_periods(
        &self,
        campaign_id: &str,
        periods: &[connect_core::restricted_periods::RestrictedPeriod],
    ) -> Result<(), FakeError> {
        let mut s = lock(&self.state);
        if let Some(message) = s.refusing.get(campaign_id) {
            return Err(FakeError(message.clone()));
        }
        s.writes += 1;
        s.periods.insert(campaign_id.to_owned(), periods.to_vec());
        Ok(())
    }
}

/// Hours of operation with their overrides by ID; calls are counted and can fail.
#[derive(Debug, Default)]
pub struct FakeHours {
    state: Mutex<FakeHoursState>,
}

#[derive(Debug, Default)]
struct FakeHoursState {
    overrides: BTreeMap<String, Vec<ExistingOverride>>,
    /// parent -> its children
    children: BTreeMap<String, BTreeSet<String>>,
    next_id: usize,
    changes: usize,
    failing: Option<String>,
}

impl FakeHours {
    /// Adds an override (a person's, or one of ours from an earlier run).
    pub fn add(&self, hours_id: &str, name: &str) {
        let mut s = lock(&self.state);
        s.next_id += 1;
        let id = format!("ov-{}", s.next_id);
        s.overrides.entry(hours_id.to_owned()).or_default().push(ExistingOverride { id, name: name.to_owned() });
    }
    pub fn names(&self, hours_id: &str) -> Vec<String> {
        lock(&self.state)
            .overrides
            .get(hours_id)
            .map(|o| o.iter().map(|o| o.name.clone()).collect())
            .unwrap_or_default()
    }
    pub fn children_of(&self, parent_id: &str) -> Vec<String> {
        lock(&self.state).children.get(parent_id).map(|c| c.iter().cloned().collect()).unwrap_or_default()
    }
    /// Creates and deletes so far.
    pub fn changes(&self) -> usize {
        lock(&self.state).changes
    }
    pub fn fail_with(&self, message: Option<&str>) {
        lock(&self.state).failing = message.map(str::to_owned);
    }
    fn check(&self) -> Result<MutexGuard<'_, FakeHoursState>, FakeError> {
        let s = lock(&self.state);
        match &s.failing {
            Some(message) => Err(FakeError(message.clone())),
            None => Ok(s),
        }
    }
}

impl HoursOverrides for FakeHours {
    type Error = FakeError;

    async fn list(&self, hours_id: &str) -> Result<Vec<ExistingOverride>, FakeError> {
        Ok(self.check()?.overrides.get(hours_id).cloned().unwrap_or_default())
    }

    async fn create_closed(&self, hours_id: &str, name: &str, _holiday: &Holiday) -> Result<String, FakeError> {
        let mut s = self.check()?;
        s.next_id += 1;
        s.changes += 1;
        let id = format!("ov-{}", s.next_id);
        s.overrides
            .entry(hours_id.to_owned())
            .or_default()
            .push(ExistingOverride { id: id.clone(), name: name.to_owned() });
        Ok(id)
    }

    async fn delete(&self, hours_id: &str, override_id: &str) -> Result<(), FakeError> {
        let mut s = self.check()?;
        s.changes += 1;
        if let Some(list) = s.overrides.get_mut(hours_id) {
            list.retain(|o| o.id != override_id);
        }
        Ok(())
    }

    async fn children(&self, parent_id: &str) -> Result<Vec<String>, FakeError> {
        Ok(self.check()?.children.get(parent_id).map(|c| c.iter().cloned().collect()).unwrap_or_default())
    }

    async fn link_child(&self, parent_id: &str, child_id: &str) -> Result<(), FakeError> {
        let mut s = self.check()?;
        s.changes += 1;
        s.children.entry(parent_id.to_owned()).or_default().insert(child_id.to_owned());
        Ok(())
    }
}

/// A sample event from `events/<function>/<name>.json`, the same files `cargo lambda invoke
/// --data-file` takes. A missing or broken sample fails the test that asked for it.
pub fn sample_event(function: &str, name: &str) -> serde_json::Value {
    fixture(&format!("{}/../../events/{function}/{name}.json", env!("CARGO_MANIFEST_DIR")))
}

/// A JSON file of the workspace that a test needs; a missing or broken one fails that test.
#[allow(clippy::panic)]
fn fixture<T: serde::de::DeserializeOwned>(path: &str) -> T {
    let parsed = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(&text).map_err(|e| e.to_string()));
    parsed.unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What a contact-flow function publishes in `crates/<function>/contract.json` for the flows'
/// contract test (`infra/test/flows.test.ts`): the parameters it reads, the keys it answers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    pub parameters: BTreeSet<String>,
    pub response_keys: BTreeSet<String>,
}

/// The published contract of `function`. A missing or broken file fails the test that asked.
pub fn contract(function: &str) -> Contract {
    fixture(&format!("{}/../{function}/contract.json", env!("CARGO_MANIFEST_DIR")))
}

/// The flow parameters a handler's source reads: each `parameter("name")`, and `phoneNumber`
/// where it asks for the caller (`ContactFlowEvent::caller` reads that parameter first).
pub fn parameters_read(source: &str) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = source
        .split(".parameter(\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(name, _)| name.to_owned()))
        .collect();
    if source.contains(".caller()") {
        names.insert("phoneNumber".to_owned());
    }
    names
}

/// The keys of a response as the function serializes it (give every optional field a value).
pub fn response_keys(response: &impl serde::Serialize) -> BTreeSet<String> {
    match serde_json::to_value(response) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => BTreeSet::new(),
    }
}

/// Fails unless `crates/<function>/contract.json` lists exactly the parameters the handler's
/// source reads and the keys of its response with every optional field set.
pub fn assert_contract(function: &str, handler_source: &str, full_response: &impl serde::Serialize) {
    let published = contract(function);
    assert_eq!(parameters_read(handler_source), published.parameters, "{function}: parameters");
    assert_eq!(response_keys(full_response), published.response_keys, "{function}: response keys");
}

/// The agent ARN prefix of the instance in the sample events.
pub const SAMPLE_AGENT_ARN: &str =
    "arn:aws:connect:ap-northeast-1:123456789012:instance/b5c1a1b3-2a3c-4b5d-8e9f-0a1b2c3d4e5f/agent/";

/// An agent of the sample instance with one voice slot free, in `status` since `since`
/// (RFC 3339); username `<id>@example.com`.
pub fn sample_agent(id: &str, status: &str, since: &str) -> AgentState {
    AgentState {
        id: id.into(),
        arn: format!("{SAMPLE_AGENT_ARN}{id}"),
        username: Some(format!("{id}@example.com")),
        status_name: Some(status.into()),
        status_since: since.parse().ok(),
        free_voice_slots: Some(1),
        routing_profile_id: Some(SAMPLE_ROUTING_PROFILE.to_owned()),
    }
}

/// The routing profile of every [`sample_agent`].
pub const SAMPLE_ROUTING_PROFILE: &str = "rp-support";

/// Property-test inputs for every handler: arbitrary JSON, and the sample events with parts
/// replaced by arbitrary JSON or removed, the shapes Connect sends broken in every way.
pub mod arbitrary {
    use proptest::prelude::*;
    use serde_json::Value;

    /// Any JSON value, a few levels deep.
    pub fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()).prop_map(Value::from),
            ".{0,24}".prop_map(Value::String),
            prop_oneof![Just("+819012345678"), Just("anonymous"), Just("2026-12-28"), Just("Timeout"), Just("9")]
                .prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(".{0,10}", inner, 0..6)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    /// Every path to a value in `value`, root included.
    fn paths(value: &Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(prefix.clone());
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    prefix.push(key.clone());
                    paths(child, prefix, out);
                    prefix.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    prefix.push(i.to_string());
                    paths(child, prefix, out);
                    prefix.pop();
                }
            }
            _ => {}
        }
    }

    fn edit(value: &mut Value, path: &[String], replacement: Option<Value>) {
        let Some((last, parents)) = path.split_last() else {
            *value = replacement.unwrap_or(Value::Null);
            return;
        };
        let mut at = value;
        for key in parents {
            let next = match at {
                Value::Object(map) => map.get_mut(key),
                Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
                _ => None,
            };
            let Some(next) = next else { return };
            at = next;
        }
        match (at, replacement) {
            (Value::Object(map), Some(v)) => {
                map.insert(last.clone(), v);
            }
            (Value::Object(map), None) => {
                map.remove(last);
            }
            (Value::Array(items), Some(v)) => {
                if let Some(slot) = last.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    *slot = v;
                }
            }
            _ => {}
        }
    }

    /// `sample` with up to four of its parts replaced by arbitrary JSON or removed.
    pub fn mutated(sample: Value) -> impl Strategy<Value = Value> {
        let mut all = Vec::new();
        paths(&sample, &mut Vec::new(), &mut all);
        let count = all.len().max(1);
        proptest::collection::vec((0..count, proptest::option::of(json_value())), 0..4).prop_map(move |edits| {
            let mut event = sample.clone();
            for (i, replacement) in edits {
                if let Some(path) = all.get(i) {
                    edit(&mut event, path, replacement);
                }
            }
            event
        })
    }

    /// Arbitrary JSON, or a mutated copy of one of `samples` (most cases: they reach deeper).
    pub fn events(samples: Vec<Value>) -> BoxedStrategy<Value> {
        let mutations: Vec<BoxedStrategy<Value>> = samples.into_iter().map(|s| mutated(s).boxed()).collect();
        prop_oneof![1 => json_value(), 3 => proptest::strategy::Union::new(mutations)].boxed()
    }
}
