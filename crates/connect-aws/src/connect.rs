//! Amazon Connect as the routing functions see it: agents with their current state
//! ([`ConnectAgentDirectory`]) and past contacts ([`ConnectContactHistory`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::SdkConfig;
use aws_sdk_connect::Client;
use aws_sdk_connect::types::{
    Channel, SearchContactsMatchType, SearchContactsTimeRange, SearchContactsTimeRangeType, SearchCriteria,
    SearchableContactAttributes, SearchableContactAttributesCriteria, Sort, SortOrder, SortableFieldName, UserData,
    UserDataFilters,
};
use chrono::{DateTime, Utc};
use connect_core::agents::AgentState;
use connect_core::phone::CallerNumber;
use connect_core::ports::{AgentDirectory, ContactDetails, ContactHistory, error_chain};
use futures_util::future::try_join_all;
use tokio::sync::Mutex;

use crate::metrics::RequestCounter;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// GetCurrentUserData takes at most 100 agents, queues or routing profiles per filter.
const USER_DATA_FILTER_LIMIT: usize = 100;
/// ListUsers pages hold up to 1,000 users: fewer round trips than the default 100.
const LIST_USERS_PAGE: i32 = 1000;
const USER_DATA_PAGE: i32 = 100;
const SEARCH_PAGE: i32 = 100;
/// ListRoutingProfileQueues pages: the API's largest.
const PROFILE_QUEUES_PAGE: i32 = 100;

#[derive(Debug, thiserror::Error)]
#[error("Amazon Connect {operation} failed")]
pub struct ConnectError {
    pub operation: &'static str,
    #[source]
    pub source: BoxError,
}

pub(crate) fn connect_error(operation: &'static str) -> impl FnOnce(BoxError) -> ConnectError {
    move |source| ConnectError { operation, source }
}

/// The scope is a domain idea and lives in core; re-exported for the adapters' users.
pub use connect_core::agents::AgentScope;

/// The queues of one routing profile and when they were read.
struct ProfileQueues {
    read_at: Instant,
    queues: Vec<String>,
}

/// Who a user ID is: ARN and username, from ListUsers.
#[derive(Debug, Clone)]
struct User {
    arn: String,
    username: String,
}

/// A Connect client whose requests (every attempt) `counter` counts, for `ConnectRequests`.
pub fn counted_client(conf: &SdkConfig, counter: &RequestCounter) -> Client {
    Client::from_conf(aws_sdk_connect::config::Builder::from(conf).interceptor(counter.clone()).build())
}

struct Users {
    fetched_at: Instant,
    by_id: Arc<HashMap<String, User>>,
}

/// Agents and their current state. ListUsers (IDs, ARNs, usernames) is cached for
/// `users_cache_for`, since users change rarely and a caller should not wait for pages of
/// them; the state comes fresh from GetCurrentUserData on every call.
pub struct ConnectAgentDirectory {
    client: Client,
    instance_id: String,
    scope: AgentScope,
    users_cache_for: Duration,
    users: Mutex<Option<Users>>,
    /// routing profile -> its queues, kept as long as the users.
    profile_queues: Mutex<HashMap<String, ProfileQueues>>,
}

impl ConnectAgentDirectory {
    pub fn new(client: Client, instance_id: impl Into<String>, scope: AgentScope, users_cache_for: Duration) -> Self {
        ConnectAgentDirectory {
            client,
            instance_id: instance_id.into(),
            scope,
            users_cache_for,
            users: Mutex::new(None),
            profile_queues: Mutex::new(HashMap::new()),
        }
    }

    pub fn from_conf(conf: &SdkConfig, instance_id: &str, scope: AgentScope, users_cache_for: Duration) -> Self {
        Self::new(Client::new(conf), instance_id, scope, users_cache_for)
    }

    /// Reads the users during init, so the first caller does not wait for them; a failure is
    /// logged and the first call tries again.
    pub async fn warm_up(&self) {
        if let Err(e) = self.users().await {
            tracing::warn!(error = %error_chain(&e), "could not read the users at init");
        }
    }

    async fn users(&self) -> Result<Arc<HashMap<String, User>>, ConnectError> {
        let mut cached = self.users.lock().await;
        if let Some(users) = cached.as_ref().filter(|u| u.fetched_at.elapsed() < self.users_cache_for) {
            return Ok(users.by_id.clone());
        }
        let summaries = self
            .client
            .list_users()
            .instance_id(&self.instance_id)
            .max_results(LIST_USERS_PAGE)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| connect_error("ListUsers")(e.into()))?;
        let by_id: HashMap<String, User> = summaries
            .into_iter()
            .filter_map(|u| {
                Some((u.id?, User { arn: u.arn.unwrap_or_default(), username: u.username.unwrap_or_default() }))
            })
            .collect();
        tracing::debug!(users = by_id.len(), "users read");
        let by_id = Arc::new(by_id);
        *cached = Some(Users { fetched_at: Instant::now(), by_id: by_id.clone() });
        Ok(by_id)
    }

    /// The users for naming agents. Usernames are a courtesy: without ListUsers an agent that
    /// GetCurrentUserData reports is still routable.
    async fn usernames(&self) -> Arc<HashMap<String, User>> {
        self.users().await.unwrap_or_else(|e| {
            tracing::warn!(error = %error_chain(&e), "usernames unavailable");
            Arc::default()
        })
    }

    /// GetCurrentUserData for each filter (at most 100 members each), all pages, concurrently,
    /// as agent states named from `users`.
    async fn reported(
        &self,
        filters: Vec<UserDataFilters>,
        users: &HashMap<String, User>,
    ) -> Result<Vec<AgentState>, ConnectError> {
        let calls = filters.into_iter().map(|filter| async move {
            let pages = self
                .client
                .get_current_user_data()
                .instance_id(&self.instance_id)
                .filters(filter)
                .max_results(USER_DATA_PAGE)
                .into_paginator()
                .send()
                .try_collect()
                .await
                .map_err(|e| connect_error("GetCurrentUserData")(e.into()))?;
            Ok::<_, ConnectError>(pages.into_iter().flat_map(|page| page.user_data_list.unwrap_or_default()))
        });
        Ok(try_join_all(calls).await?.into_iter().flatten().filter_map(|d| agent_state(d, users)).collect())
    }
}

/// Splits a list into filters of at most 100 members.
fn chunked(ids: &[String], filter: impl Fn(Vec<String>) -> UserDataFilters) -> Vec<UserDataFilters> {
    ids.chunks(USER_DATA_FILTER_LIMIT).map(|chunk| filter(chunk.to_vec())).collect()
}

fn by_agents(ids: Vec<String>) -> UserDataFilters {
    UserDataFilters::builder().set_agents(Some(ids)).build()
}

fn to_chrono(time: &aws_smithy_types::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(time.secs(), time.subsec_nanos())
}

/// An agent as GetCurrentUserData reports it, named from the users when known.
fn agent_state(data: UserData, users: &HashMap<String, User>) -> Option<AgentState> {
    let user = data.user?;
    let id = user.id?;
    let known = users.get(&id);
    Some(AgentState {
        arn: user.arn.or_else(|| known.map(|u| u.arn.clone())).unwrap_or_default(),
        username: known.map(|u| u.username.clone()),
        status_name: data.status.as_ref().and_then(|s| s.status_name.clone()),
        status_since: data.status.as_ref().and_then(|s| s.status_start_timestamp.as_ref()).and_then(to_chrono),
        // Slot data without VOICE is a routing profile with no voice concurrency: no voice slot.
        free_voice_slots: data
            .available_slots_by_channel
            .as_ref()
            .map(|slots| slots.get(&Channel::Voice).map_or(0, |n| u32::try_from(*n).unwrap_or(0))),
        routing_profile_id: data.routing_profile.and_then(|p| p.id),
        id,
    })
}

impl AgentDirectory for ConnectAgentDirectory {
    type Error = ConnectError;

    async fn agents(&self, ids: &[String]) -> Result<Vec<AgentState>, ConnectError> {
        let users = self.usernames().await;
        let mut states = self.reported(chunked(ids, by_agents), &users).await?;
        // Known but not reported: logged out.
        for id in ids {
            if let (false, Some(user)) = (states.iter().any(|s| &s.id == id), users.get(id)) {
                states.push(AgentState::logged_out(id.clone(), user.arn.clone(), Some(user.username.clone())));
            }
        }
        Ok(states)
    }

    async fn candidates(&self) -> Result<Vec<AgentState>, ConnectError> {
        let (users, filters) = match &self.scope {
            AgentScope::Instance => {
                let users = self.users().await?;
                let mut ids: Vec<String> = users.keys().cloned().collect();
                ids.sort();
                let filters = chunked(&ids, by_agents);
                (users, filters)
            }
            AgentScope::RoutingProfiles(ids) => (
                self.usernames().await,
                chunked(ids, |chunk| UserDataFilters::builder().set_routing_profiles(Some(chunk)).build()),
            ),
            AgentScope::Queues(ids) => (
                self.usernames().await,
                chunked(ids, |chunk| UserDataFilters::builder().set_queues(Some(chunk)).build()),
            ),
        };
        if filters.is_empty() {
            return Ok(Vec::new());
        }
        let mut states = self.reported(filters, &users).await?;
        // An agent on two listed queues is reported twice.
        states.sort_by(|a, b| a.id.cmp(&b.id));
        states.dedup_by(|a, b| a.id == b.id);
        Ok(states)
    }

    /// ListRoutingProfileQueues, every page, once per routing profile for `users_cache_for`: the
    /// queues the profile serves on VOICE (a queue it has for chat or tasks only cannot give its
    /// agents a call).
    async fn profile_queues(&self, routing_profile_id: &str) -> Result<Vec<String>, ConnectError> {
        let mut cached = self.profile_queues.lock().await;
        if let Some(known) = cached.get(routing_profile_id)
            && known.read_at.elapsed() < self.users_cache_for
        {
            return Ok(known.queues.clone());
        }
        let summaries = self
            .client
            .list_routing_profile_queues()
            .instance_id(&self.instance_id)
            .routing_profile_id(routing_profile_id)
            .max_results(PROFILE_QUEUES_PAGE)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| connect_error("ListRoutingProfileQueues")(e.into()))?;
        let queues: Vec<String> =
            summaries.into_iter().filter(|q| q.channel == Channel::Voice).map(|q| q.queue_id).collect();
        cached.insert(routing_profile_id.to_owned(), ProfileQueues { read_at: Instant::now(), queues: queues.clone() });
        Ok(queues)
    }
}

/// A contact's customer from DescribeContact (assignment-recorder, on contact events).
pub struct ConnectContactDetails {
    client: Client,
}

impl ConnectContactDetails {
    pub fn new(client: Client) -> Self {
        ConnectContactDetails { client }
    }

    pub fn from_conf(conf: &SdkConfig) -> Self {
        Self::new(Client::new(conf))
    }
}

impl ContactDetails for ConnectContactDetails {
    type Error = ConnectError;

    async fn customer_address(&self, instance_id: &str, contact_id: &str) -> Result<Option<String>, ConnectError> {
        let output = self
            .client
            .describe_contact()
            .instance_id(instance_id)
            .contact_id(contact_id)
            .send()
            .await
            .map_err(|e| connect_error("DescribeContact")(e.into()))?;
        Ok(output.contact.and_then(|c| c.customer_endpoint).and_then(|e| e.address))
    }
}

/// The last agent from Connect's contact search: the caller's number must be stored on the
/// contact as a searchable contact attribute (`attribute`, e.g. `CustomerPhoneNumber`).
pub struct ConnectContactHistory {
    client: Client,
    instance_id: String,
    attribute: String,
}

impl ConnectContactHistory {
    pub fn new(client: Client, instance_id: impl Into<String>, attribute: impl Into<String>) -> Self {
        ConnectContactHistory { client, instance_id: instance_id.into(), attribute: attribute.into() }
    }

    pub fn from_conf(conf: &SdkConfig, instance_id: &str, attribute: &str) -> Self {
        Self::new(Client::new(conf), instance_id, attribute)
    }
}

impl ContactHistory for ConnectContactHistory {
    type Error = ConnectError;

    async fn last_agent(
        &self,
        caller: &CallerNumber,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<String>, ConnectError> {
        let invalid = |e: aws_smithy_types::error::operation::BuildError| connect_error("SearchContacts")(e.into());
        let range = SearchContactsTimeRange::builder()
            .r#type(SearchContactsTimeRangeType::InitiationTimestamp)
            .start_time(aws_smithy_types::DateTime::from_millis(since.timestamp_millis()))
            .end_time(aws_smithy_types::DateTime::from_millis(until.timestamp_millis()))
            .build()
            .map_err(invalid)?;
        let criterion = SearchableContactAttributesCriteria::builder()
            .key(&self.attribute)
            .values(caller.as_e164())
            .build()
            .map_err(invalid)?;
        let attributes = SearchableContactAttributes::builder()
            .criteria(criterion)
            .match_type(SearchContactsMatchType::MatchAll)
            .build()
            .map_err(invalid)?;
        let mut contacts = self
            .client
            .search_contacts()
            .instance_id(&self.instance_id)
            .time_range(range)
            .search_criteria(SearchCriteria::builder().searchable_contact_attributes(attributes).build())
            .sort(
                Sort::builder()
                    .field_name(SortableFieldName::InitiationTimestamp)
                    .order(SortOrder::Descending)
                    .build()
                    .map_err(invalid)?,
            )
            .max_results(SEARCH_PAGE)
            .into_paginator()
            .items()
            .send();
        // Newest first; the caller's current contact (no agent yet) and abandoned ones are skipped.
        while let Some(contact) = contacts.try_next().await.map_err(|e| connect_error("SearchContacts")(e.into()))? {
            if let Some(agent_id) = contact.agent_info.and_then(|a| a.id).filter(|id| !id.is_empty()) {
                return Ok(Some(agent_id));
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{http_response, mocked_client};
    use aws_sdk_connect::operation::get_current_user_data::{GetCurrentUserDataError, GetCurrentUserDataOutput};
    use aws_sdk_connect::operation::list_users::ListUsersOutput;
    use aws_sdk_connect::operation::search_contacts::SearchContactsOutput;
    use aws_sdk_connect::types::{
        AgentStatusReference, ContactSearchSummary, ContactSearchSummaryAgentInfo, UserReference, UserSummary,
    };
    use aws_smithy_mocks::{Rule, mock};
    use aws_smithy_types::error::ErrorMetadata;
    use connect_core::ports::error_chain;

    async fn client(rules: &[&Rule]) -> Client {
        mocked_client!(aws_sdk_connect, crate::CallProfile::ContactFlow, rules)
    }

    async fn directory(rules: &[&Rule], scope: AgentScope) -> ConnectAgentDirectory {
        ConnectAgentDirectory::new(client(rules).await, "inst-1", scope, Duration::from_secs(300))
    }

    fn users() -> ListUsersOutput {
        let user =
            |id: &str| UserSummary::builder().id(id).arn(format!("arn:agent/{id}")).username(format!("{id}@x")).build();
        ListUsersOutput::builder().user_summary_list(user("a-1")).user_summary_list(user("a-2")).build()
    }

    fn available(id: &str) -> UserData {
        UserData::builder()
            .user(UserReference::builder().id(id).arn(format!("arn:agent/{id}")).build())
            .status(
                AgentStatusReference::builder()
                    .status_name("Available")
                    .status_start_timestamp(aws_smithy_types::DateTime::from_secs(1_700_000_000))
                    .build(),
            )
            .available_slots_by_channel(Channel::Voice, 1)
            .build()
    }

    fn throttled() -> GetCurrentUserDataError {
        GetCurrentUserDataError::generic(
            ErrorMetadata::builder().code("ThrottlingException").message("Rate exceeded").build(),
        )
    }

    fn denied() -> aws_smithy_runtime_api::http::Response {
        http_response(403, r#"{"message":"User is not authorized"}"#)
    }

    #[tokio::test]
    async fn candidates_are_the_users_with_their_state_and_usernames() {
        let list = mock!(Client::list_users).then_output(users);
        let data = mock!(Client::get_current_user_data)
            .match_requests(|r| r.filters().is_some_and(|f| f.agents() == ["a-1", "a-2"]))
            .sequence()
            .output(|| GetCurrentUserDataOutput::builder().user_data_list(available("a-2")).build())
            .times(2)
            .build();
        let directory = directory(&[&list, &data], AgentScope::Instance).await;
        let agents = directory.candidates().await.unwrap();
        assert_eq!(agents.len(), 1);
        let a = &agents[0];
        assert_eq!((a.id.as_str(), a.username.as_deref(), a.free_voice_slots), ("a-2", Some("a-2@x"), Some(1)));
        assert_eq!(a.status_since.map(|t| t.timestamp()), Some(1_700_000_000));
        directory.candidates().await.unwrap();
        assert_eq!((list.num_calls(), data.num_calls()), (1, 2), "users are cached, state is not");
    }

    #[tokio::test]
    async fn throttling_is_retried_once_and_access_denied_is_not() {
        let list = mock!(Client::list_users).then_output(users);
        let flaky = mock!(Client::get_current_user_data)
            .sequence()
            .error(throttled)
            .output(|| GetCurrentUserDataOutput::builder().user_data_list(available("a-1")).build())
            .build();
        let agents = directory(&[&list, &flaky], AgentScope::Instance).await.candidates().await.unwrap();
        assert_eq!((agents.len(), flaky.num_calls()), (1, 2));

        let list = mock!(Client::list_users).then_output(users);
        let refused = mock!(Client::get_current_user_data).then_http_response(denied);
        let err = directory(&[&list, &refused], AgentScope::Instance).await.candidates().await.unwrap_err();
        assert_eq!((err.operation, refused.num_calls()), ("GetCurrentUserData", 1));
        assert!(error_chain(&err).contains("not authorized"), "{}", error_chain(&err));
    }

    #[tokio::test]
    async fn agents_without_usernames_are_still_routable() {
        let list = mock!(Client::list_users).then_http_response(denied);
        let data = mock!(Client::get_current_user_data)
            .then_output(|| GetCurrentUserDataOutput::builder().user_data_list(available("a-1")).build());
        let scope = AgentScope::RoutingProfiles(vec!["rp-1".into()]);
        let agents = directory(&[&list, &data], scope).await.agents(&["a-1".into()]).await.unwrap();
        assert_eq!((agents[0].id.as_str(), agents[0].username.clone()), ("a-1", None));
        assert_eq!(agents[0].arn, "arn:agent/a-1");
    }

    #[tokio::test]
    async fn only_queues_served_on_voice_count_and_slot_data_without_voice_is_no_voice_slot() {
        use aws_sdk_connect::operation::list_routing_profile_queues::ListRoutingProfileQueuesOutput;
        use aws_sdk_connect::types::RoutingProfileQueueConfigSummary;
        let config = |queue: &str, channel: Channel| {
            RoutingProfileQueueConfigSummary::builder()
                .queue_id(queue)
                .queue_arn(format!("arn:queue/{queue}"))
                .queue_name(queue)
                .priority(1)
                .delay(0)
                .channel(channel)
                .build()
                .unwrap()
        };
        let queues = mock!(Client::list_routing_profile_queues).then_output(move || {
            ListRoutingProfileQueuesOutput::builder()
                .routing_profile_queue_config_summary_list(config("q-voice", Channel::Voice))
                .routing_profile_queue_config_summary_list(config("q-chat", Channel::Chat))
                .build()
        });
        let chat_only = mock!(Client::get_current_user_data).then_output(|| {
            let data = UserData::builder()
                .user(UserReference::builder().id("a-1").arn("arn:agent/a-1").build())
                .status(AgentStatusReference::builder().status_name("Available").build())
                .available_slots_by_channel(Channel::Chat, 2)
                .build();
            GetCurrentUserDataOutput::builder().user_data_list(data).build()
        });
        let list = mock!(Client::list_users).then_output(users);
        let directory = directory(&[&queues, &list, &chat_only], AgentScope::Instance).await;
        assert_eq!(directory.profile_queues("rp-1").await.unwrap(), ["q-voice"]);
        let agents = directory.agents(&["a-1".into()]).await.unwrap();
        assert_eq!(agents[0].free_voice_slots, Some(0), "chat slots only: no voice slot");
        assert!(!agents[0].is_available("Available"));
    }

    #[tokio::test]
    async fn a_known_agent_that_is_not_reported_is_logged_out() {
        let list = mock!(Client::list_users).then_output(users);
        let data = mock!(Client::get_current_user_data).then_output(|| GetCurrentUserDataOutput::builder().build());
        let agents =
            directory(&[&list, &data], AgentScope::Instance).await.agents(&["a-1".into(), "zz".into()]).await.unwrap();
        assert_eq!(agents.len(), 1, "an unknown ID is left out");
        assert_eq!((agents[0].id.as_str(), agents[0].status_name.clone()), ("a-1", None));
    }

    #[tokio::test]
    async fn contact_search_answers_the_newest_contact_with_an_agent() {
        let contact = |id: &str, agent: Option<&str>| {
            let c = ContactSearchSummary::builder().id(id);
            match agent {
                Some(a) => c.agent_info(ContactSearchSummaryAgentInfo::builder().id(a).build()).build(),
                None => c.build(),
            }
        };
        let search = mock!(Client::search_contacts)
            .match_requests(|r| {
                r.search_criteria().and_then(|c| c.searchable_contact_attributes()).is_some_and(|a| {
                    a.criteria()[0].key() == "CustomerPhoneNumber" && a.criteria()[0].values() == ["+819012345678"]
                })
            })
            .then_output(move || {
                SearchContactsOutput::builder()
                    .contacts(contact("now", None))
                    .contacts(contact("yesterday", Some("a-2")))
                    .contacts(contact("last-week", Some("a-1")))
                    .build()
                    .unwrap()
            });
        let history = ConnectContactHistory::new(client(&[&search]).await, "inst-1", "CustomerPhoneNumber");
        let caller = CallerNumber::parse("+819012345678").unwrap();
        let now = Utc::now();
        let agent = history.last_agent(&caller, now - chrono::TimeDelta::days(7), now).await.unwrap();
        assert_eq!(agent.as_deref(), Some("a-2"));
    }
}
