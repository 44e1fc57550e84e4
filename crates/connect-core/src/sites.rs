//! Sites: one deployment serving several contact centers (Tokyo and Osaka on the same national
//! holidays but different closures, a New York site with a feed of its own). `SITES` is a JSON
//! list; without it the single-site settings are one site named `default`.

use std::collections::BTreeSet;

use chrono_tz::Tz;
use serde::Deserialize;

use crate::closures::ClosedDates;
use crate::holidays::CLOSURE_NAME;

/// One calendar of a site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSpec {
    pub url: String,
    /// A company calendar whose timed events close only their window (public feeds are all-day).
    pub timed_windows: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub name: String,
    pub calendars: Vec<CalendarSpec>,
    pub include_observances: bool,
    pub closures: ClosedDates,
    pub time_zone: Tz,
    /// Hours of operation (IDs) whose overrides follow this site's list.
    pub hours_of_operation_ids: Vec<String>,
    /// A shared "holidays" hours of operation (ID) that holds the site's overrides; the site's
    /// hours of operation are linked to it as children and inherit them (Connect applies a
    /// parent's overrides to its children), so each keeps its own 50 overrides for people.
    pub holiday_hours_of_operation_id: Option<String>,
    /// The name of a closure, or of a calendar event without SUMMARY.
    pub default_name: String,
    /// Outbound Campaigns v2 campaigns whose telephony restricted periods follow the site's list.
    pub outbound_campaign_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidSites(pub String);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SiteJson {
    name: String,
    #[serde(default)]
    calendars: Vec<CalendarJson>,
    #[serde(default)]
    include_observances: bool,
    #[serde(default)]
    closures: String,
    time_zone: Option<String>,
    #[serde(default)]
    hours_of_operation_ids: Vec<String>,
    holiday_hours_of_operation_id: Option<String>,
    default_name: Option<String>,
    #[serde(default)]
    outbound_campaign_ids: Vec<String>,
}

/// A URL, or `{"url": ..., "timedWindows": true}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum CalendarJson {
    Url(String),
    Spec {
        url: String,
        #[serde(default, rename = "timedWindows")]
        timed_windows: bool,
    },
}

/// What a site leaves out comes from the single-site settings.
#[derive(Debug, Clone)]
pub struct SiteDefaults {
    pub time_zone: Tz,
}

fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Outbound Campaigns v2 campaign IDs (the model's `CampaignId`: 1 to 256 of a-z, A-Z, 0-9, '-',
/// ':' and '/'), trimmed, each once.
pub fn campaign_ids(given: &[String]) -> Result<Vec<String>, String> {
    let mut ids: Vec<String> = Vec::new();
    for id in given.iter().map(|id| id.trim()) {
        let valid =
            (1..=256).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-:/".contains(&b));
        if !valid {
            return Err(format!("{id:?} is not an Outbound Campaigns v2 campaign ID"));
        }
        if !ids.iter().any(|known| known == id) {
            ids.push(id.to_owned());
        }
    }
    Ok(ids)
}

/// Parses and checks `SITES`: names (lowercase letters, digits, `-`, `_`; unique), http(s)
/// calendar URLs, closures, time zones and hours of operation IDs or ARNs.
pub fn parse_sites(json: &str, defaults: &SiteDefaults) -> Result<Vec<Site>, InvalidSites> {
    let raw: Vec<SiteJson> =
        serde_json::from_str(json).map_err(|e| InvalidSites(format!("not a JSON list of sites: {e}")))?;
    if raw.is_empty() {
        return Err(InvalidSites("the list of sites is empty".to_owned()));
    }
    let mut names = BTreeSet::new();
    raw.into_iter()
        .map(|site| {
            let name = site.name.trim().to_owned();
            let invalid = |what: String| InvalidSites(format!("site {name:?}: {what}"));
            if !valid_name(&name) {
                return Err(invalid("the name may hold only a-z, 0-9, '-' and '_' (1 to 64)".to_owned()));
            }
            if !names.insert(name.clone()) {
                return Err(invalid("named twice".to_owned()));
            }
            let calendars = site
                .calendars
                .into_iter()
                .map(|c| match c {
                    CalendarJson::Url(url) => CalendarSpec { url, timed_windows: false },
                    CalendarJson::Spec { url, timed_windows } => CalendarSpec { url, timed_windows },
                })
                .collect::<Vec<_>>();
            if let Some(bad) =
                calendars.iter().find(|c| !(c.url.starts_with("https://") || c.url.starts_with("http://")))
            {
                return Err(invalid(format!("calendar {:?} is not an http(s) URL", bad.url)));
            }
            let closures = site.closures.parse::<ClosedDates>().map_err(|e| invalid(format!("closures: {e}")))?;
            let time_zone = match site.time_zone {
                None => defaults.time_zone,
                Some(tz) => tz.parse::<Tz>().map_err(|_| invalid(format!("{tz:?} is not an IANA time zone")))?,
            };
            let hours_of_operation_ids = site
                .hours_of_operation_ids
                .iter()
                .map(|r| {
                    crate::agents::resource_id(r, "operating-hours")
                        .ok_or_else(|| invalid(format!("{r:?} is not an hours of operation ID or ARN")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let holiday_hours_of_operation_id = match &site.holiday_hours_of_operation_id {
                None => None,
                Some(r) => Some(
                    crate::agents::resource_id(r, "operating-hours")
                        .ok_or_else(|| invalid(format!("{r:?} is not an hours of operation ID or ARN")))?,
                ),
            };
            if holiday_hours_of_operation_id.as_ref().is_some_and(|p| hours_of_operation_ids.contains(p)) {
                return Err(invalid("the holiday hours of operation cannot also be one of its children".to_owned()));
            }
            let default_name = site.default_name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
            let outbound_campaign_ids = campaign_ids(&site.outbound_campaign_ids).map_err(invalid)?;
            Ok(Site {
                name,
                calendars,
                include_observances: site.include_observances,
                closures,
                time_zone,
                hours_of_operation_ids,
                holiday_hours_of_operation_id,
                default_name: default_name.unwrap_or_else(|| CLOSURE_NAME.to_owned()),
                outbound_campaign_ids,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULTS: SiteDefaults = SiteDefaults { time_zone: chrono_tz::Asia::Tokyo };

    #[test]
    fn sites_with_their_feeds_closures_zones_and_hours() {
        let json = r#"[
            {"name": "tokyo", "calendars": ["https://calendar.test/ja.ics"], "closures": "12-29..01-03, 12-28 15:00-24:00",
             "hoursOfOperationIds": ["arn:aws:connect:ap-northeast-1:1:instance/i-1/operating-hours/h-tokyo"],
             "holidayHoursOfOperationId": "h-holidays"},
            {"name": "osaka", "calendars": ["https://calendar.test/ja.ics", {"url": "https://intra.test/osaka.ics", "timedWindows": true}],
             "includeObservances": true, "defaultName": "臨時休業", "outboundCampaignIds": ["c-osaka", " c-osaka "]},
            {"name": "new-york", "timeZone": "America/New_York", "calendars": ["https://calendar.test/us.ics"]}
        ]"#;
        let sites = parse_sites(json, &DEFAULTS).unwrap();
        let names: Vec<&str> = sites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["tokyo", "osaka", "new-york"]);
        assert_eq!(sites[0].hours_of_operation_ids, ["h-tokyo"]);
        assert_eq!(sites[0].holiday_hours_of_operation_id.as_deref(), Some("h-holidays"));
        assert_eq!(sites[1].holiday_hours_of_operation_id, None);
        assert_eq!((sites[0].time_zone, sites[0].default_name.as_str()), (chrono_tz::Asia::Tokyo, CLOSURE_NAME));
        assert!(sites[1].calendars[1].timed_windows && !sites[1].calendars[0].timed_windows);
        assert_eq!((sites[1].include_observances, sites[1].default_name.as_str()), (true, "臨時休業"));
        assert_eq!(sites[2].time_zone, chrono_tz::America::New_York);
        assert_eq!(
            (sites[1].outbound_campaign_ids.as_slice(), sites[0].outbound_campaign_ids.len()),
            (&["c-osaka".to_owned()][..], 0)
        );
        assert_eq!(sites[0].closures.days_in(2026, 2026).len(), 3 + 1 + 3, "01-01..01-03, 12-28, 12-29..12-31");
    }

    #[test]
    fn mistakes_are_refused_with_the_site_named() {
        for (json, expected) in [
            ("{}", "not a JSON list"),
            ("[]", "empty"),
            (r#"[{"name": "Tokyo"}]"#, "a-z"),
            (r#"[{"name": "a"}, {"name": "a"}]"#, "named twice"),
            (r#"[{"name": "a", "calendars": ["ftp://x"]}]"#, "not an http(s) URL"),
            (r#"[{"name": "a", "closures": "13-01"}]"#, "closures"),
            (r#"[{"name": "a", "timeZone": "Tokyo"}]"#, "IANA"),
            (
                r#"[{"name": "a", "hoursOfOperationIds": ["arn:aws:connect:r:1:instance/i/queue/q"]}]"#,
                "hours of operation",
            ),
            (r#"[{"name": "a", "calendar": []}]"#, "unknown field"),
            (r#"[{"name": "a", "hoursOfOperationIds": ["h"], "holidayHoursOfOperationId": "h"}]"#, "children"),
            (r#"[{"name": "a", "outboundCampaignIds": ["a campaign"]}]"#, "campaign ID"),
        ] {
            let err = parse_sites(json, &DEFAULTS).unwrap_err().to_string();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }
}
