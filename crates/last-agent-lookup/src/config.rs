use chrono::TimeDelta;
use connect_aws::config::invalid;
use connect_aws::settings::{RoutingSettings, optional_connect_resource_id};

use crate::handler::Preference;
use connect_aws::{ConfigError, Env};

/// Where the caller's last agent is remembered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupSource {
    /// The assignments table assignment-recorder writes (the default).
    Table { table: String },
    /// Connect's contact search over the last days, on a searchable contact attribute that
    /// holds the caller's number.
    ContactSearch { lookback: TimeDelta, attribute: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub routing: RoutingSettings,
    pub source: LookupSource,
    /// `CHECK_AGENT_STATE` (default true) and `QUEUE_ID` (the flow's standard queue, optional).
    pub preference: Preference,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        const SOURCE: &str = "LOOKUP_SOURCE";
        const LOOKBACK: &str = "LOOKBACK_DAYS";
        let source = match env.optional(SOURCE).map(|s| s.to_ascii_lowercase()).as_deref() {
            None | Some("table") => LookupSource::Table { table: env.required("ASSIGNMENTS_TABLE")? },
            Some("contact-search") => {
                let days = env.parse_or(LOOKBACK, 7u32)?;
                if !(1..=90).contains(&days) {
                    return Err(invalid(LOOKBACK, &days.to_string(), "expected 1 to 90 days"));
                }
                LookupSource::ContactSearch {
                    lookback: TimeDelta::days(days.into()),
                    attribute: env.optional("SEARCH_ATTRIBUTE").unwrap_or_else(|| "CustomerPhoneNumber".to_owned()),
                }
            }
            Some(other) => return Err(invalid(SOURCE, other, "expected table or contact-search")),
        };
        let routing = RoutingSettings::from_env(env)?;
        let queue = optional_connect_resource_id(env, "QUEUE_ID", "queue")?;
        let statuses = match env.list("PREFER_AGENT_STATUSES") {
            listed if listed.is_empty() => vec![routing.routing.available_status.clone()],
            listed => listed,
        };
        let preference = Preference {
            check_state: env.flag("CHECK_AGENT_STATE", true)?,
            queue,
            statuses,
            on_error: env.flag("PREFER_ON_ERROR", false)?,
        };
        Ok(Config { routing, source, preference })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preference_checks_state_by_default_and_the_queue_when_given() {
        let base = [("CONNECT_INSTANCE_ID", "inst-1"), ("ASSIGNMENTS_TABLE", "t")];
        let config = Config::from_env(&Env::from_pairs(base)).unwrap();
        let default =
            Preference { check_state: true, queue: None, statuses: vec!["Available".into()], on_error: false };
        assert_eq!(config.preference, default);
        let arn = "arn:aws:connect:ap-northeast-1:1:instance/inst-1/queue/q-support";
        let config = Config::from_env(&Env::from_pairs(base.into_iter().chain([
            ("QUEUE_ID", arn),
            ("CHECK_AGENT_STATE", "false"),
            ("PREFER_ON_ERROR", "true"),
        ])))
        .unwrap();
        let expected = Preference { check_state: false, queue: Some("q-support".into()), on_error: true, ..default };
        assert_eq!(config.preference, expected);
        let bad = Config::from_env(&Env::from_pairs(base.into_iter().chain([("CHECK_AGENT_STATE", "maybe")])));
        assert!(bad.unwrap_err().to_string().contains("CHECK_AGENT_STATE"));
        let bad = Config::from_env(&Env::from_pairs(base.into_iter().chain([("PREFER_ON_ERROR", "sometimes")])));
        assert!(bad.unwrap_err().to_string().contains("PREFER_ON_ERROR"));
    }

    #[test]
    fn the_statuses_that_take_calls_default_to_the_available_status() {
        let base = [("CONNECT_INSTANCE_ID", "inst-1"), ("ASSIGNMENTS_TABLE", "t")];
        let renamed = Config::from_env(&Env::from_pairs(base.into_iter().chain([("AVAILABLE_STATUS", "Ready")])));
        assert_eq!(renamed.unwrap().preference.statuses, ["Ready"]);
        let listed = base.into_iter().chain([("PREFER_AGENT_STATUSES", "Available, Outbound ready")]);
        assert_eq!(
            Config::from_env(&Env::from_pairs(listed)).unwrap().preference.statuses,
            ["Available", "Outbound ready"]
        );
    }

    #[test]
    fn sources_and_their_settings() {
        let base = [("CONNECT_INSTANCE_ID", "inst-1")];
        let table = Config::from_env(&Env::from_pairs(base.into_iter().chain([("ASSIGNMENTS_TABLE", "t")]))).unwrap();
        assert_eq!(table.source, LookupSource::Table { table: "t".into() });
        let search =
            Config::from_env(&Env::from_pairs(base.into_iter().chain([("LOOKUP_SOURCE", "contact-search")]))).unwrap();
        assert_eq!(
            search.source,
            LookupSource::ContactSearch { lookback: TimeDelta::days(7), attribute: "CustomerPhoneNumber".into() }
        );
    }

    #[test]
    fn errors_name_the_variable() {
        let cases = [
            (vec![("CONNECT_INSTANCE_ID", "i")], "ASSIGNMENTS_TABLE"),
            (vec![("ASSIGNMENTS_TABLE", "t")], "CONNECT_INSTANCE_ID"),
            (vec![("CONNECT_INSTANCE_ID", "i"), ("LOOKUP_SOURCE", "cache")], "LOOKUP_SOURCE"),
            (
                vec![("CONNECT_INSTANCE_ID", "i"), ("LOOKUP_SOURCE", "contact-search"), ("LOOKBACK_DAYS", "0")],
                "LOOKBACK_DAYS",
            ),
        ];
        for (pairs, name) in cases {
            let err = Config::from_env(&Env::from_pairs(pairs)).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    /// `events/last-agent-lookup/lambda.env`, the file `cargo lambda deploy --env-file` takes (docs/deploy.md,
    /// "Deploying one function with cargo lambda"), is a configuration this loader accepts.
    #[test]
    fn the_cargo_lambda_env_file_is_a_valid_configuration() {
        let env = Env::from_env_file(include_str!("../../../events/last-agent-lookup/lambda.env")).unwrap();
        let config = Config::from_env(&env).unwrap();
        assert_eq!(config.preference.queue.as_deref(), Some("66666666-7777-8888-9999-000000000000"));
    }
}
