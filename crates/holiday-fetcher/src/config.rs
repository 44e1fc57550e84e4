use chrono_tz::Tz;
use connect_aws::config::invalid;
use connect_aws::{ConfigError, Env};
use connect_core::closures::ClosedDates;

pub const DEFAULT_CALENDAR_URL: &str = "https://calendar.google.com/calendar/ical/ja.japanese.official%23holiday%40group.v.calendar.google.com/public/basic.ics";

#[derive(Debug, Clone)]
pub struct Config {
    pub bucket: String,
    pub key: String,
    pub calendar_urls: Vec<String>,
    pub include_observances: bool,
    pub closed_dates: ClosedDates,
    pub alert_topic_arn: Option<String>,
    /// Where "today" is, for the mass-drop guard and the years closures are expanded over.
    pub time_zone: Tz,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let mut calendar_urls = env.list("CALENDAR_URLS");
        if calendar_urls.is_empty() {
            calendar_urls.push(DEFAULT_CALENDAR_URL.to_owned());
        }
        if let Some(bad) = calendar_urls.iter().find(|u| !(u.starts_with("https://") || u.starts_with("http://"))) {
            return Err(invalid("CALENDAR_URLS", bad, "each entry must be an http(s) URL"));
        }
        Ok(Config {
            bucket: env.required("HOLIDAY_BUCKET")?,
            key: env.optional("HOLIDAY_KEY").unwrap_or_else(|| "holidays.json".to_owned()),
            calendar_urls,
            include_observances: env.flag("INCLUDE_OBSERVANCES", false)?,
            closed_dates: env.parse_or("CLOSED_DATES", ClosedDates::default())?,
            alert_topic_arn: env.optional("ALERT_TOPIC_ARN"),
            time_zone: env.parse_or("TIME_ZONE", chrono_tz::Asia::Tokyo)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let config = Config::from_env(&Env::from_pairs([("HOLIDAY_BUCKET", "b")])).unwrap();
        assert_eq!(config.key, "holidays.json");
        assert_eq!(config.calendar_urls, [DEFAULT_CALENDAR_URL]);
        assert!(!config.include_observances);
        assert!(config.closed_dates.is_empty());
        assert_eq!(config.time_zone, chrono_tz::Asia::Tokyo);
    }

    #[test]
    fn errors_name_the_variable() {
        let cases = [
            (vec![], "HOLIDAY_BUCKET"),
            (vec![("HOLIDAY_BUCKET", "b"), ("CLOSED_DATES", "12-32")], "CLOSED_DATES"),
            (vec![("HOLIDAY_BUCKET", "b"), ("INCLUDE_OBSERVANCES", "sometimes")], "INCLUDE_OBSERVANCES"),
            (vec![("HOLIDAY_BUCKET", "b"), ("CALENDAR_URLS", "ftp://x")], "CALENDAR_URLS"),
            (vec![("HOLIDAY_BUCKET", "b"), ("TIME_ZONE", "Mars/Base")], "TIME_ZONE"),
        ];
        for (pairs, name) in cases {
            let err = Config::from_env(&Env::from_pairs(pairs)).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }
}
