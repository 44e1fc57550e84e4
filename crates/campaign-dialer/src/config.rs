use std::time::Duration;

use chrono_tz::Tz;
use connect_aws::campaign_table::TO_CALL_INDEX;
use connect_aws::config::invalid;
use connect_aws::outbound::OutboundTarget;
use connect_aws::settings::{campaign, connect_instance_id, connect_resource_id, retry_after};
use connect_aws::{ConfigError, Env};
use connect_core::calling_hours::CallingHours;
use connect_core::campaign::{Campaign, RetryPolicy};
use connect_core::phone::CallerNumber;

/// Who dials: the dialer itself, or an Outbound Campaigns v2 campaign it feeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Engine {
    /// StartOutboundVoiceContact per call, paced by the queue's free agents (`ENGINE=direct`).
    Direct,
    /// PutOutboundRequestBatch to the campaign, which dials at its own pace (`ENGINE=campaigns-v2`).
    CampaignsV2 {
        campaign_id: String,
        /// How long the campaign may hold a request before it drops it undialed.
        request_expiry: chrono::TimeDelta,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub engine: Engine,
    pub table: String,
    pub campaign: Campaign,
    pub target: OutboundTarget,
    /// The to-call index of the table.
    pub index: String,
    pub max_calls: u32,
    /// How long to wait before asking again when no agent is free.
    pub poll: Duration,
    /// When calls may be placed, in `time_zone` and in the customer's own time zone.
    pub calling_hours: CallingHours,
    /// The center's time zone: its calling hours, and the date of its holidays when the list
    /// gives the site no zone of its own (a version-1 list).
    pub time_zone: Tz,
    /// The holiday list holiday-fetcher keeps (the one holiday-check reads).
    pub holiday_bucket: String,
    pub holiday_key: String,
    /// The site of the list whose holidays, closures and early closes stop calls.
    pub site: String,
    pub retry: RetryPolicy,
    /// The do-not-call table (numbers that pressed 9); only the rows' `DO_NOT_CALL` when unset.
    pub do_not_call_table: Option<String>,
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
        const ATTEMPTS: &str = "MAX_ATTEMPTS";
        let max_attempts = env.parse_or(ATTEMPTS, 3u32)?;
        if !(1..=10).contains(&max_attempts) {
            return Err(invalid(ATTEMPTS, &max_attempts.to_string(), "expected 1 to 10"));
        }
        const ENGINE: &str = "ENGINE";
        const CAMPAIGN_ID: &str = "OUTBOUND_CAMPAIGN_ID";
        const EXPIRY: &str = "REQUEST_EXPIRY_MINUTES";
        let engine = match env.optional(ENGINE).as_deref() {
            None | Some("direct") => Engine::Direct,
            Some("campaigns-v2") => {
                let ids = connect_core::sites::campaign_ids(&[env.required(CAMPAIGN_ID)?])
                    .map_err(|e| invalid(CAMPAIGN_ID, &env.optional(CAMPAIGN_ID).unwrap_or_default(), e))?;
                let expiry = env.parse_or(EXPIRY, 60i64)?;
                if !(5..=1440).contains(&expiry) {
                    return Err(invalid(EXPIRY, &expiry.to_string(), "expected 5 to 1440 minutes"));
                }
                Engine::CampaignsV2 {
                    campaign_id: ids.into_iter().next().unwrap_or_default(),
                    request_expiry: chrono::TimeDelta::minutes(expiry),
                }
            }
            Some(other) => return Err(invalid(ENGINE, other, "expected direct or campaigns-v2")),
        };
        Ok(Config {
            engine,
            table: env.required("CUSTOMERS_TABLE")?,
            campaign: campaign(env)?.ok_or(ConfigError::Missing { name: "CAMPAIGN" })?,
            target: OutboundTarget {
                instance_id: connect_instance_id(env)?,
                contact_flow_id: connect_resource_id(env, "CONTACT_FLOW_ID", "contact-flow")?,
                queue_id: connect_resource_id(env, "QUEUE_ID", "queue")?,
                source_phone_number,
            },
            index: env.optional("TO_CALL_INDEX").unwrap_or_else(|| TO_CALL_INDEX.to_owned()),
            max_calls,
            poll: Duration::from_secs_f64(poll),
            calling_hours: env.parse_or("CALLING_HOURS", default_calling_hours())?,
            time_zone: env.parse_or("TIME_ZONE", chrono_tz::Asia::Tokyo)?,
            holiday_bucket: env.required("HOLIDAY_BUCKET")?,
            holiday_key: env.optional("HOLIDAY_KEY").unwrap_or_else(|| "holidays.json".to_owned()),
            site: env.optional("SITE").unwrap_or_else(|| connect_core::holidays::DEFAULT_SITE.to_owned()),
            retry: RetryPolicy { retry_after: retry_after(env)?, max_attempts },
            do_not_call_table: env.optional("DO_NOT_CALL_TABLE"),
        })
    }
}

/// Weekdays from 9 to 20, the default docs/campaigns.md gives.
fn default_calling_hours() -> CallingHours {
    CallingHours::weekdays_nine_to_eight()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    const REQUIRED: [(&str, &str); 6] = [
        ("CUSTOMERS_TABLE", "customers"),
        ("CAMPAIGN", "spring"),
        ("CONNECT_INSTANCE_ID", "arn:aws:connect:ap-northeast-1:1:instance/inst-1"),
        ("CONTACT_FLOW_ID", "arn:aws:connect:ap-northeast-1:1:instance/inst-1/contact-flow/flow-1"),
        ("QUEUE_ID", "q-1"),
        ("HOLIDAY_BUCKET", "holidays"),
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
        assert_eq!(
            (config.calling_hours.to_string().as_str(), config.time_zone),
            ("Mon-Fri 09:00-20:00", chrono_tz::Asia::Tokyo)
        );
        assert_eq!((config.holiday_key.as_str(), config.index.as_str()), ("holidays.json", "to-call"));
        assert_eq!(config.retry, RetryPolicy { retry_after: TimeDelta::minutes(60), max_attempts: 3 });
        assert_eq!(config.engine, Engine::Direct);
        let v2 = with(&[("ENGINE", "campaigns-v2"), ("OUTBOUND_CAMPAIGN_ID", " c-spring ")]).unwrap();
        assert_eq!(
            v2.engine,
            Engine::CampaignsV2 { campaign_id: "c-spring".into(), request_expiry: TimeDelta::minutes(60) }
        );
        let config = with(&[
            ("CALLING_HOURS", "Mon-Sun 00:00-24:00"),
            ("TIME_ZONE", "America/New_York"),
            ("RETRY_AFTER_MINUTES", "15"),
            ("MAX_ATTEMPTS", "1"),
        ])
        .unwrap();
        assert_eq!(config.retry, RetryPolicy { retry_after: TimeDelta::minutes(15), max_attempts: 1 });
        assert_eq!(config.time_zone, chrono_tz::America::New_York);
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
            (("CALLING_HOURS", "weekdays"), "CALLING_HOURS"),
            (("CALLING_HOURS", "Mon-Fri 20:00-09:00"), "end after it starts"),
            (("TIME_ZONE", "Tokyo"), "TIME_ZONE"),
            (("RETRY_AFTER_MINUTES", "0"), "RETRY_AFTER_MINUTES"),
            (("MAX_ATTEMPTS", "11"), "MAX_ATTEMPTS"),
            (("ENGINE", "pinpoint"), "ENGINE"),
            (("ENGINE", "campaigns-v2"), "OUTBOUND_CAMPAIGN_ID"),
        ] {
            let err = with(&[pair]).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }

    /// `events/campaign-dialer/lambda.env`, the file `cargo lambda deploy --env-file` takes (docs/deploy.md,
    /// "Deploying one function with cargo lambda"), is a configuration this loader accepts.
    #[test]
    fn the_cargo_lambda_env_file_is_a_valid_configuration() {
        let env = Env::from_env_file(include_str!("../../../events/campaign-dialer/lambda.env")).unwrap();
        let config = Config::from_env(&env).unwrap();
        assert_eq!((config.table.as_str(), config.index.as_str()), ("connect-lambdas-customers", "to-call"));
    }
}
