use chrono_tz::Tz;
use connect_aws::config::invalid;
use connect_aws::settings::connect_instance_id;
use connect_aws::{ConfigError, Env};
use connect_core::closures::ClosedDates;
use connect_core::holidays::{CLOSURE_NAME, DEFAULT_SITE};
use connect_core::sites::{CalendarSpec, Site, SiteDefaults, parse_sites};

pub const DEFAULT_CALENDAR_URL: &str = "https://calendar.google.com/calendar/ical/ja.japanese.official%23holiday%40group.v.calendar.google.com/public/basic.ics";

/// The single-site variables, which `SITES` replaces.
const SINGLE_SITE: [&str; 6] = [
    "CALENDAR_URLS",
    "INCLUDE_OBSERVANCES",
    "CLOSED_DATES",
    "HOURS_OF_OPERATION_IDS",
    "HOLIDAY_HOURS_OF_OPERATION_ID",
    "OUTBOUND_CAMPAIGN_IDS",
];

#[derive(Debug, Clone)]
pub struct Config {
    pub bucket: String,
    pub key: String,
    /// Every site, each with its calendars, closures, time zone and hours of operation.
    pub sites: Vec<Site>,
    pub alert_topic_arn: Option<String>,
    /// New upcoming calendar holidays per site one run may add before the list is refused.
    pub max_added: usize,
    /// Where the override sync works; `None` when no site names hours of operation.
    pub overrides: Option<OverrideSettings>,
    /// How far ahead campaigns' restricted periods reach (`OVERRIDE_HORIZON_DAYS`, the overrides'
    /// horizon); `None` when no site names an Outbound Campaigns v2 campaign.
    pub campaign_horizon_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverrideSettings {
    pub instance_id: String,
    pub horizon_days: u32,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let time_zone: Tz = env.parse_or("TIME_ZONE", chrono_tz::Asia::Tokyo)?;
        let sites = match env.optional("SITES") {
            Some(json) => {
                if let Some(name) = SINGLE_SITE.iter().find(|name| env.optional(name).is_some()) {
                    return Err(invalid(name, "set", "SITES replaces the single-site variables; set one or the other"));
                }
                parse_sites(&json, &SiteDefaults { time_zone }).map_err(|e| invalid("SITES", &json, e))?
            }
            None => vec![single_site(env, time_zone)?],
        };
        const HORIZON: &str = "OVERRIDE_HORIZON_DAYS";
        let horizon = || {
            let horizon_days = env.parse_or(HORIZON, 365u32)?;
            if !(1..=1095).contains(&horizon_days) {
                return Err(invalid(HORIZON, &horizon_days.to_string(), "expected 1 to 1095 days"));
            }
            Ok(horizon_days)
        };
        let overrides = if sites
            .iter()
            .any(|s| !s.hours_of_operation_ids.is_empty() || s.holiday_hours_of_operation_id.is_some())
        {
            Some(OverrideSettings { instance_id: connect_instance_id(env)?, horizon_days: horizon()? })
        } else {
            None
        };
        let campaign_horizon_days =
            if sites.iter().any(|s| !s.outbound_campaign_ids.is_empty()) { Some(horizon()?) } else { None };
        const MAX_ADDED: &str = "MAX_ADDED_HOLIDAYS";
        let max_added = env.parse_or(MAX_ADDED, 40usize)?;
        if !(1..=10_000).contains(&max_added) {
            return Err(invalid(MAX_ADDED, &max_added.to_string(), "expected 1 to 10000"));
        }
        Ok(Config {
            bucket: env.required("HOLIDAY_BUCKET")?,
            key: env.optional("HOLIDAY_KEY").unwrap_or_else(|| "holidays.json".to_owned()),
            sites,
            alert_topic_arn: env.optional("ALERT_TOPIC_ARN"),
            max_added,
            overrides,
            campaign_horizon_days,
        })
    }

    /// Every distinct calendar URL of every site, in order: each is downloaded once per run.
    pub fn calendar_urls(&self) -> Vec<String> {
        let mut urls: Vec<String> = Vec::new();
        for url in self.sites.iter().flat_map(|s| s.calendars.iter().map(|c| &c.url)) {
            if !urls.contains(url) {
                urls.push(url.clone());
            }
        }
        urls
    }
}

/// `CALENDAR_URLS`, `INCLUDE_OBSERVANCES`, `CLOSED_DATES`, `TIME_ZONE`,
/// `HOURS_OF_OPERATION_IDS` and `HOLIDAY_HOURS_OF_OPERATION_ID` as the site `default`.
fn single_site(env: &Env, time_zone: Tz) -> Result<Site, ConfigError> {
    const IDS: &str = "HOURS_OF_OPERATION_IDS";
    let mut urls = env.list("CALENDAR_URLS");
    if urls.is_empty() {
        urls.push(DEFAULT_CALENDAR_URL.to_owned());
    }
    if let Some(bad) = urls.iter().find(|u| !(u.starts_with("https://") || u.starts_with("http://"))) {
        return Err(invalid("CALENDAR_URLS", bad, "each entry must be an http(s) URL"));
    }
    let hours_of_operation_ids = env
        .list(IDS)
        .iter()
        .map(|r| {
            connect_core::agents::resource_id(r, "operating-hours")
                .ok_or_else(|| invalid(IDS, r, "expected hours of operation IDs or ARNs"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    const PARENT: &str = "HOLIDAY_HOURS_OF_OPERATION_ID";
    let holiday_hours_of_operation_id = match env.optional(PARENT) {
        None => None,
        Some(r) => Some(
            connect_core::agents::resource_id(&r, "operating-hours")
                .ok_or_else(|| invalid(PARENT, &r, "expected an hours of operation ID or ARN"))?,
        ),
    };
    const CAMPAIGNS: &str = "OUTBOUND_CAMPAIGN_IDS";
    let outbound_campaign_ids =
        connect_core::sites::campaign_ids(&env.list(CAMPAIGNS)).map_err(|e| invalid(CAMPAIGNS, "set", e))?;
    Ok(Site {
        outbound_campaign_ids,
        name: DEFAULT_SITE.to_owned(),
        holiday_hours_of_operation_id,
        calendars: urls.into_iter().map(|url| CalendarSpec { url, timed_windows: false }).collect(),
        include_observances: env.flag("INCLUDE_OBSERVANCES", false)?,
        closures: env.parse_or("CLOSED_DATES", ClosedDates::default())?,
        time_zone,
        hours_of_operation_ids,
        default_name: CLOSURE_NAME.to_owned(),
    })
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
        assert_eq!(on.overrides, Some(OverrideSettings { instance_id: "inst-1".into(), horizon_days: 365 }));
        assert_eq!(on.sites[0].hours_of_operation_ids, ["h-1", "h-2"]);
        assert_eq!(on.campaign_horizon_days, None, "no campaign named");
        let campaigns = Config::from_env(&Env::from_pairs([
            ("HOLIDAY_BUCKET", "b"),
            ("OUTBOUND_CAMPAIGN_IDS", "c-1, c-2"),
            ("OVERRIDE_HORIZON_DAYS", "90"),
        ]))
        .unwrap();
        assert_eq!(
            (campaigns.sites[0].outbound_campaign_ids.clone(), campaigns.campaign_horizon_days),
            (vec!["c-1".to_owned(), "c-2".to_owned()], Some(90))
        );
        assert_eq!(campaigns.overrides, None, "campaigns need no Connect instance");
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
        assert_eq!((config.key.as_str(), config.max_added), ("holidays.json", 40));
        let site = &config.sites[0];
        assert_eq!((config.sites.len(), site.name.as_str()), (1, "default"));
        assert_eq!(config.calendar_urls(), [DEFAULT_CALENDAR_URL]);
        assert!(!site.include_observances);
        assert!(site.closures.is_empty());
        assert_eq!(site.time_zone, chrono_tz::Asia::Tokyo);
    }

    #[test]
    fn sites_replace_the_single_site_variables_and_share_feeds() {
        let sites = r#"[{"name": "tokyo", "calendars": ["https://c.test/ja.ics"], "closures": "12-29..01-03"},
                        {"name": "osaka", "calendars": ["https://c.test/ja.ics", "https://c.test/osaka.ics"]}]"#;
        let config = Config::from_env(&Env::from_pairs([("HOLIDAY_BUCKET", "b"), ("SITES", sites)])).unwrap();
        assert_eq!(config.sites.len(), 2);
        assert_eq!(config.calendar_urls(), ["https://c.test/ja.ics", "https://c.test/osaka.ics"], "once each");
        for (extra, expected) in [
            (("CALENDAR_URLS", "https://c.test/x.ics"), "SITES replaces"),
            (("CLOSED_DATES", "12-31"), "SITES replaces"),
            (("SITES", "[{}]"), "SITES"),
        ] {
            let pairs = [("HOLIDAY_BUCKET", "b"), ("SITES", sites), extra];
            let err = Config::from_env(&Env::from_pairs(pairs)).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }

    #[test]
    fn errors_name_the_variable() {
        let cases = [
            (vec![], "HOLIDAY_BUCKET"),
            (vec![("HOLIDAY_BUCKET", "b"), ("CLOSED_DATES", "12-32")], "CLOSED_DATES"),
            (vec![("HOLIDAY_BUCKET", "b"), ("INCLUDE_OBSERVANCES", "sometimes")], "INCLUDE_OBSERVANCES"),
            (vec![("HOLIDAY_BUCKET", "b"), ("CALENDAR_URLS", "ftp://x")], "CALENDAR_URLS"),
            (vec![("HOLIDAY_BUCKET", "b"), ("TIME_ZONE", "Mars/Base")], "TIME_ZONE"),
            (vec![("HOLIDAY_BUCKET", "b"), ("MAX_ADDED_HOLIDAYS", "0")], "MAX_ADDED_HOLIDAYS"),
        ];
        for (pairs, name) in cases {
            let err = Config::from_env(&Env::from_pairs(pairs)).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    /// `events/holiday-fetcher/lambda.env`, the file `cargo lambda deploy --env-file` takes (docs/deploy.md,
    /// "Deploying one function with cargo lambda"), is a configuration this loader accepts.
    #[test]
    fn the_cargo_lambda_env_file_is_a_valid_configuration() {
        let env = Env::from_env_file(include_str!("../../../events/holiday-fetcher/lambda.env")).unwrap();
        let config = Config::from_env(&env).unwrap();
        assert_eq!((config.bucket.as_str(), config.sites.len()), ("connect-lambdas-holidays-123456789012", 1));
    }
}
