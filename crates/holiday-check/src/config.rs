use std::str::FromStr;

use chrono::TimeDelta;
use chrono_tz::Tz;
use connect_aws::{ConfigError, Env};

/// What a caller is told when the holiday list cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnError {
    /// Answer "not a holiday": the center stays reachable (the default).
    Open,
    /// Answer "holiday": callers hear the closed message.
    Closed,
}

impl FromStr for OnError {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "open" => Ok(OnError::Open),
            "closed" => Ok(OnError::Closed),
            _ => Err("expected open or closed"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub bucket: String,
    pub key: String,
    pub time_zone: Tz,
    pub cache_for: TimeDelta,
    pub on_error: OnError,
    pub alert_topic_arn: Option<String>,
    /// The site a flow asks about when it passes no `site` parameter.
    pub site: String,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Config {
            bucket: env.required("HOLIDAY_BUCKET")?,
            key: env.optional("HOLIDAY_KEY").unwrap_or_else(|| "holidays.json".to_owned()),
            time_zone: env.parse_or("TIME_ZONE", chrono_tz::Asia::Tokyo)?,
            cache_for: TimeDelta::seconds(env.parse_or::<u32>("CACHE_SECONDS", 300)?.into()),
            on_error: env.parse_or("ON_ERROR", OnError::Open)?,
            alert_topic_arn: env.optional("ALERT_TOPIC_ARN"),
            site: env.optional("SITE").unwrap_or_else(|| connect_core::holidays::DEFAULT_SITE.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_errors() {
        let config = Config::from_env(&Env::from_pairs([("HOLIDAY_BUCKET", "b")])).unwrap();
        assert_eq!((config.key.as_str(), config.time_zone), ("holidays.json", chrono_tz::Asia::Tokyo));
        assert_eq!((config.cache_for, config.on_error), (TimeDelta::seconds(300), OnError::Open));
        assert_eq!(config.site, "default");
        let cases = [
            (vec![], "HOLIDAY_BUCKET"),
            (vec![("HOLIDAY_BUCKET", "b"), ("TIME_ZONE", "JST+9")], "TIME_ZONE"),
            (vec![("HOLIDAY_BUCKET", "b"), ("CACHE_SECONDS", "-1")], "CACHE_SECONDS"),
            (vec![("HOLIDAY_BUCKET", "b"), ("ON_ERROR", "maybe")], "ON_ERROR"),
        ];
        for (pairs, name) in cases {
            let err = Config::from_env(&Env::from_pairs(pairs)).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    /// `events/holiday-check/lambda.env`, the file `cargo lambda deploy --env-file` takes (docs/deploy.md,
    /// "Deploying one function with cargo lambda"), is a configuration this loader accepts.
    #[test]
    fn the_cargo_lambda_env_file_is_a_valid_configuration() {
        let env = Env::from_env_file(include_str!("../../../events/holiday-check/lambda.env")).unwrap();
        let config = Config::from_env(&env).unwrap();
        assert_eq!(
            (config.bucket.as_str(), config.site.as_str()),
            ("connect-lambdas-holidays-123456789012", "default")
        );
    }
}
