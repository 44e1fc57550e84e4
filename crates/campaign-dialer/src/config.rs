use std::time::Duration;

use connect_aws::config::invalid;
use connect_aws::outbound::OutboundTarget;
use connect_aws::settings::{campaign, connect_instance_id, connect_resource_id};
use connect_aws::{ConfigError, Env};
use connect_core::campaign::Campaign;
use connect_core::phone::CallerNumber;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub table: String,
    pub campaign: Campaign,
    pub target: OutboundTarget,
    pub max_calls: u32,
    /// How long to wait before asking again when no agent is free.
    pub poll: Duration,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        const SOURCE: &str = "SOURCE_PHONE_NUMBER";
        const MAX: &str = "MAX_CALLS_PER_RUN";
        const POLL: &str = "POLL_SECONDS";
        let source_phone_number = match env.optional(SOURCE) {
            None => None,
            Some(number) => Some(
                CallerNumber::parse(&number)
                    .map(|n| n.as_e164().to_owned())
                    .ok_or_else(|| invalid(SOURCE, &number, "expected an E.164 number such as +81501234567"))?,
            ),
        };
        let max_calls = env.parse_or(MAX, 50u32)?;
        if !(1..=1000).contains(&max_calls) {
            return Err(invalid(MAX, &max_calls.to_string(), "expected 1 to 1000"));
        }
        let poll = env.parse_or(POLL, 5.0f64)?;
        if !(0.05..=60.0).contains(&poll) {
            return Err(invalid(POLL, &poll.to_string(), "expected 0.05 to 60 seconds"));
        }
        Ok(Config {
            table: env.required("CUSTOMERS_TABLE")?,
            campaign: campaign(env)?.ok_or(ConfigError::Missing { name: "CAMPAIGN" })?,
            target: OutboundTarget {
                instance_id: connect_instance_id(env)?,
                contact_flow_id: connect_resource_id(env, "CONTACT_FLOW_ID", "contact-flow")?,
                queue_id: connect_resource_id(env, "QUEUE_ID", "queue")?,
                source_phone_number,
            },
            max_calls,
            poll: Duration::from_secs_f64(poll),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUIRED: [(&str, &str); 5] = [
        ("CUSTOMERS_TABLE", "customers"),
        ("CAMPAIGN", "spring"),
        ("CONNECT_INSTANCE_ID", "arn:aws:connect:ap-northeast-1:1:instance/inst-1"),
        ("CONTACT_FLOW_ID", "arn:aws:connect:ap-northeast-1:1:instance/inst-1/contact-flow/flow-1"),
        ("QUEUE_ID", "q-1"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Result<Config, ConfigError> {
        Config::from_env(&Env::from_pairs(REQUIRED.into_iter().chain(extra.iter().copied())))
    }

    #[test]
    fn defaults_and_ids_from_arns() {
        let config = with(&[]).unwrap();
        assert_eq!(
            config.target,
            OutboundTarget {
                instance_id: "inst-1".into(),
                contact_flow_id: "flow-1".into(),
                queue_id: "q-1".into(),
                source_phone_number: None,
            }
        );
        assert_eq!((config.max_calls, config.poll), (50, Duration::from_secs(5)));
        let config =
            with(&[("SOURCE_PHONE_NUMBER", "+81501234567"), ("POLL_SECONDS", "0.5"), ("MAX_CALLS_PER_RUN", "3")])
                .unwrap();
        assert_eq!(config.target.source_phone_number.as_deref(), Some("+81501234567"));
        assert_eq!((config.max_calls, config.poll), (3, Duration::from_millis(500)));
    }

    #[test]
    fn every_variable_is_checked_by_name() {
        for name in REQUIRED.map(|(name, _)| name) {
            let env = Env::from_pairs(REQUIRED.into_iter().filter(|(n, _)| *n != name));
            let err = Config::from_env(&env).unwrap_err().to_string();
            assert!(err.contains(name), "{err}");
        }
        for (pair, expected) in [
            (("SOURCE_PHONE_NUMBER", "0501234567"), "SOURCE_PHONE_NUMBER"),
            (("MAX_CALLS_PER_RUN", "0"), "MAX_CALLS_PER_RUN"),
            (("MAX_CALLS_PER_RUN", "many"), "MAX_CALLS_PER_RUN"),
            (("POLL_SECONDS", "0"), "POLL_SECONDS"),
            (("POLL_SECONDS", "NaN"), "POLL_SECONDS"),
        ] {
            let err = with(&[pair]).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }
}
