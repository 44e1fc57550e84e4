//! Settings more than one function reads, parsed and validated once at init.

use std::time::Duration;

use chrono::TimeDelta;
use connect_core::agents::{AgentScope, PickOrder, Routing, instance_id, resource_id};
use connect_core::campaign::Campaign;

use crate::config::{ConfigError, Env, invalid};

/// `CONNECT_INSTANCE_ID`: an instance ID or instance ARN, kept as the ID.
pub fn connect_instance_id(env: &Env) -> Result<String, ConfigError> {
    const NAME: &str = "CONNECT_INSTANCE_ID";
    let value = env.required(NAME)?;
    instance_id(&value).ok_or_else(|| invalid(NAME, &value, "expected an instance ID or instance ARN"))
}

/// A Connect resource (`CONTACT_FLOW_ID`, `QUEUE_ID`, ...) given as an ID or as its ARN
/// (`arn:aws:connect:<region>:<account>:instance/<instance>/<kind>/<id>`), kept as the ID.
pub fn connect_resource_id(env: &Env, name: &'static str, kind: &str) -> Result<String, ConfigError> {
    optional_connect_resource_id(env, name, kind)?.ok_or(ConfigError::Missing { name })
}

/// [`connect_resource_id`] for a setting that may be left out.
pub fn optional_connect_resource_id(env: &Env, name: &'static str, kind: &str) -> Result<Option<String>, ConfigError> {
    env.optional(name)
        .map(|value| {
            resource_id(&value, kind)
                .ok_or_else(|| invalid(name, &value, format!("expected a {kind} ID or {kind} ARN")))
        })
        .transpose()
}

/// `CAMPAIGN`: the campaign's attribute name in the customers table, `None` when unset.
pub fn campaign(env: &Env) -> Result<Option<Campaign>, ConfigError> {
    const NAME: &str = "CAMPAIGN";
    env.optional(NAME).map(|name| Campaign::parse(&name).map_err(|e| invalid(NAME, &name, e.reason))).transpose()
}

/// `RETRY_AFTER_MINUTES` (1 to 10080, default 60): how long after a call without an answer (a
/// no answer, no input, a failed transfer) the customer is due again.
pub fn retry_after(env: &Env) -> Result<TimeDelta, ConfigError> {
    const NAME: &str = "RETRY_AFTER_MINUTES";
    let minutes = env.parse_or(NAME, 60u32)?;
    if !(1..=10_080).contains(&minutes) {
        return Err(invalid(NAME, &minutes.to_string(), "expected 1 to 10080 minutes (a week)"));
    }
    Ok(TimeDelta::minutes(minutes.into()))
}

/// How agent-picker and last-agent-lookup choose agents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingSettings {
    pub instance_id: String,
    pub scope: AgentScope,
    pub routing: Routing,
    /// How long the list of users (IDs, ARNs, usernames) is reused before it is read again.
    pub users_cache_for: Duration,
}

impl RoutingSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let profiles = env.list("ROUTING_PROFILE_IDS");
        let queues = env.list("QUEUE_IDS");
        let scope = match (profiles.is_empty(), queues.is_empty()) {
            (true, true) => AgentScope::Instance,
            (false, true) => AgentScope::RoutingProfiles(profiles),
            (true, false) => AgentScope::Queues(queues),
            // GetCurrentUserData takes one kind of filter; and which one would the user mean?
            (false, false) => {
                return Err(invalid("QUEUE_IDS", &queues.join(","), "set ROUTING_PROFILE_IDS or QUEUE_IDS, not both"));
            }
        };
        Ok(RoutingSettings {
            instance_id: connect_instance_id(env)?,
            scope,
            routing: Routing {
                available_status: env.optional("AVAILABLE_STATUS").unwrap_or_else(|| "Available".to_owned()),
                order: env.parse_or("PICK_ORDER", PickOrder::LongestAvailable)?,
            },
            users_cache_for: Duration::from_secs(env.parse_or("USERS_CACHE_SECONDS", 300u64)?),
        })
    }
}

/// The assignments table and how long an assignment is remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentSettings {
    pub table: String,
    pub keep_for_days: u32,
}

impl AssignmentSettings {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        const TTL: &str = "ASSIGNMENT_TTL_DAYS";
        let keep_for_days = env.parse_or(TTL, 90u32)?;
        if !(1..=3650).contains(&keep_for_days) {
            return Err(invalid(TTL, &keep_for_days.to_string(), "expected 1 to 3650 days"));
        }
        Ok(AssignmentSettings { table: env.required("ASSIGNMENTS_TABLE")?, keep_for_days })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:connect:ap-northeast-1:123456789012:instance/inst-1";

    #[test]
    fn routing_defaults_and_scopes() {
        let settings = RoutingSettings::from_env(&Env::from_pairs([("CONNECT_INSTANCE_ID", ARN)])).unwrap();
        assert_eq!(settings.instance_id, "inst-1");
        assert_eq!(settings.scope, AgentScope::Instance);
        assert_eq!(
            settings.routing,
            Routing { available_status: "Available".into(), order: PickOrder::LongestAvailable }
        );
        assert_eq!(settings.users_cache_for, Duration::from_secs(300));
        let scoped = RoutingSettings::from_env(&Env::from_pairs([
            ("CONNECT_INSTANCE_ID", "inst-1"),
            ("QUEUE_IDS", "q-1, q-2"),
            ("PICK_ORDER", "random"),
            ("AVAILABLE_STATUS", "Ready"),
        ]))
        .unwrap();
        assert_eq!(scoped.scope, AgentScope::Queues(vec!["q-1".into(), "q-2".into()]));
        assert_eq!(scoped.routing, Routing { available_status: "Ready".into(), order: PickOrder::Random });
    }

    #[test]
    fn routing_errors_name_the_variable() {
        let cases = [
            (vec![], "CONNECT_INSTANCE_ID"),
            (vec![("CONNECT_INSTANCE_ID", "arn:aws:s3:::b")], "CONNECT_INSTANCE_ID"),
            (vec![("CONNECT_INSTANCE_ID", "i"), ("PICK_ORDER", "first")], "PICK_ORDER"),
            (vec![("CONNECT_INSTANCE_ID", "i"), ("QUEUE_IDS", "q"), ("ROUTING_PROFILE_IDS", "r")], "not both"),
        ];
        for (pairs, expected) in cases {
            let err = RoutingSettings::from_env(&Env::from_pairs(pairs)).unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
    }

    #[test]
    fn connect_resources_and_campaigns() {
        let env = Env::from_pairs([
            ("QUEUE_ID", "arn:aws:connect:ap-northeast-1:1:instance/i-1/queue/q-9"),
            ("CONTACT_FLOW_ID", "flow-1"),
            ("BAD_QUEUE", "arn:aws:connect:ap-northeast-1:1:instance/i-1/contact-flow/f-1"),
            ("CAMPAIGN", " spring "),
        ]);
        assert_eq!(connect_resource_id(&env, "QUEUE_ID", "queue").unwrap(), "q-9");
        assert_eq!(connect_resource_id(&env, "CONTACT_FLOW_ID", "contact-flow").unwrap(), "flow-1");
        let err = connect_resource_id(&env, "BAD_QUEUE", "queue").unwrap_err().to_string();
        assert!(err.contains("BAD_QUEUE") && err.contains("queue ID or queue ARN"), "{err}");
        assert_eq!(campaign(&env).unwrap().map(|c| c.to_string()).as_deref(), Some("spring"));
        assert_eq!(campaign(&Env::default()).unwrap(), None);
        let err = campaign(&Env::from_pairs([("CAMPAIGN", "spring sale")])).unwrap_err().to_string();
        assert!(err.contains("CAMPAIGN") && err.contains("letters, digits"), "{err}");
    }

    #[test]
    fn assignment_settings() {
        let settings = AssignmentSettings::from_env(&Env::from_pairs([("ASSIGNMENTS_TABLE", "t")])).unwrap();
        assert_eq!(settings, AssignmentSettings { table: "t".into(), keep_for_days: 90 });
        for (pairs, expected) in [
            (vec![], "ASSIGNMENTS_TABLE"),
            (vec![("ASSIGNMENTS_TABLE", "t"), ("ASSIGNMENT_TTL_DAYS", "0")], "ASSIGNMENT_TTL_DAYS"),
            (vec![("ASSIGNMENTS_TABLE", "t"), ("ASSIGNMENT_TTL_DAYS", "x")], "ASSIGNMENT_TTL_DAYS"),
        ] {
            let err = AssignmentSettings::from_env(&Env::from_pairs(pairs)).unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
        }
    }
}
