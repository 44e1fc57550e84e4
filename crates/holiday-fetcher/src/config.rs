use chrono_tz::Tz;
use connect_aws::config::invalid;
use connect_aws::settings::connect_instance_id;
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
    /// Hours of operation whose holiday overrides are kept in step; `None`: no sync.
    pub overrides: Option<OverrideSettings>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideSettings {
    pub instance_id: String,
    pub hours_ids: Vec<String>,
    pub horizon_days: u32,
}

impl OverrideSettings {
    fn from_env(env: &Env) -> Result<Option<Self>, ConfigError> {
        const IDS: &str = "HOURS_OF_OPERATION_IDS";
        const HORIZON: &str = "OVERRIDE_HORIZON_DAYS";
        let references = env.list(IDS);
        if references.is_empty() {
            return Ok(None);
        }
        let hours_ids = references
            .iter()
            .map(|r| {
                connect_core::agents::resource_id(r, "operating-hours")
                    .ok_or_else(|| invalid(IDS, r, "expected hours of operation IDs or ARNs"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let horizon_days = env.parse_or(HORIZON, 365u32)?;
        if !(1..=1095).contains(&horizon_days) {
            return Err(invalid(HORIZON, &horizon_days.to_string(), "expected 1 to 1095 days"));
        }
        Ok(Some(OverrideSettings { instance_id: connect_instance_id(env)?, hours_ids, horizon_days }))
    }
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
            overrides: OverrideSettings::from_env(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_sync_is_off_unless_hours_are_listed() {
        let base = [("HOLIDAY_BUCKET", "b")];
        assert_eq!(Config::from_env(&Env::from_pairs(base)).unwrap().overrides, None);
        let on = Config::from_env(&Env::from_pairs([
            ("HOLIDAY_BUCKET", "b"),
            ("CONNECT_INSTANCE_ID", "inst-1"),
            ("HOURS_OF_OPERATION_IDS", "h-1, arn:aws:connect:ap-northeast-1:1:instance/inst-1/operating-hours/h-2"),
        ]))
        .unwrap();
        assert_eq!(
            on.overrides,
            Some(OverrideSettings {
                instance_id: "inst-1".into(),
                hours_ids: vec!["h-1".into(), "h-2".into()],
                horizon_days: 365
            })
        );
        for (pairs, expected) in [
            (vec![("HOURS_OF_OPERATION_IDS", "h-1")], "CONNECT_INSTANCE_ID"),
            (
                vec![
                    ("HOURS_OF_OPERATION_IDS", "arn:aws:connect:x:1:instance/i/queue/q"),
                    ("CONNECT_INSTANCE_ID", "i"),
                ],
                "HOURS_OF_OPERATION_IDS",
            ),
            (
                vec![("HOURS_OF_OPERATION_IDS", "h-1"), ("CONNECT_INSTANCE_ID", "i"), ("OVERRIDE_HORIZON_DAYS", "0")],
                "OVERRIDE_HORIZON_DAYS",
            ),
        ] {
            let pairs = [("HOLIDAY_BUCKET", "b")].into_iter().chain(pairs);
            let err = Config::from_env(&Env::from_pairs(pairs)).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }

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
