//! The SNS notices of a run: what changed, what was left out, what the syncs did, what failed.
//! Pure text from the run's values; the handler sends them.

use chrono::NaiveDate;
use connect_core::holidays::{Changes, Holiday};
use connect_core::overrides::OverrideReport;
use connect_core::ports::error_chain;

use crate::config::Config;
use crate::handler::{FetchFailure, SiteRun};
use crate::summary::{PeriodReport, Status, Summary};

/// A notice: its subject and message.
pub type Notice = (String, String);

/// The notice of a run that published or synced something, or left lines out of a re-stamped
/// list; `None` when there is nothing to tell.
pub fn outcome_notice(config: &Config, summary: &Summary, runs: &[SiteRun]) -> Option<Notice> {
    let syncs = describe_overrides(&summary.overrides) + &describe_periods(&summary.campaigns);
    let skipped = describe_skipped(runs);
    let skip_count = runs.iter().map(|r| r.skipped.len()).sum::<usize>();
    let skipped_note = if skip_count > 0 { format!("; {skip_count} calendar lines skipped") } else { String::new() };
    let override_failed = summary.overrides.iter().any(|r| r.error.is_some());
    let period_failed = summary.campaigns.iter().any(|r| r.error.is_some());
    let failed_note = match (override_failed, period_failed) {
        (true, true) => "; override sync FAILED; restricted-period sync FAILED",
        (true, false) => "; override sync FAILED",
        (false, true) => "; restricted-period sync FAILED",
        (false, false) => "",
    };
    let overrides_changed = summary
        .overrides
        .iter()
        .any(|r| !r.created.is_empty() || !r.removed.is_empty() || !r.linked.is_empty() || r.incomplete);
    let periods_changed = summary.campaigns.iter().any(|r| r.error.is_none() && r.changed());
    if summary.status == Status::Updated {
        let count = |f: fn(&Changes) -> usize| runs.iter().map(|r| f(&r.changes)).sum::<usize>();
        let subject = format!(
            "connect-lambdas: holiday list updated{} (+{} -{} ~{}){failed_note}{skipped_note}",
            if summary.forced.is_some() { " (FORCED)" } else { "" },
            count(|c| c.added.len()),
            count(|c| c.removed.len()),
            count(|c| c.renamed.len()),
        );
        return Some((subject, describe_changes(config, summary, runs) + &skipped + &syncs));
    }
    // Skips alone are told when the unchanged list is re-stamped: about once a day, however
    // often the schedule runs, until the feed is mended.
    let subject = if override_failed || period_failed {
        let what = match (override_failed, period_failed) {
            (true, true) => "hours-of-operation override and restricted-period syncs",
            (true, false) => "hours-of-operation override sync",
            _ => "campaign restricted-period sync",
        };
        format!("connect-lambdas: {what} FAILED{skipped_note}")
    } else if overrides_changed || periods_changed {
        let what = match (overrides_changed, periods_changed) {
            (true, true) => "hours-of-operation overrides and campaign restricted periods",
            (true, false) => "hours-of-operation overrides",
            _ => "campaign restricted periods",
        };
        format!("connect-lambdas: {what} updated{skipped_note}")
    } else if skip_count > 0 && summary.restamped {
        format!("connect-lambdas: holiday list unchanged{skipped_note}")
    } else {
        return None;
    };
    let message = format!(
        "The holiday list s3://{}/{} is unchanged ({} holidays).\n{skipped}{syncs}",
        config.bucket, config.key, summary.holiday_count
    );
    Some((subject, message))
}

/// The notice of a run that published nothing.
pub fn failure_notice(config: &Config, failure: &FetchFailure) -> Notice {
    let force_hint = if matches!(failure, FetchFailure::Implausible { .. }) {
        "\nIf the change is real, invoke holiday-fetcher with {\"force\": true} to publish it anyway.\n"
    } else {
        ""
    };
    let message = format!(
        "holiday-fetcher did not publish a new holiday list; the stored list s3://{}/{} is unchanged.\n\nReason: {}\n{force_hint}",
        config.bucket,
        config.key,
        error_chain(failure),
    );
    ("connect-lambdas: holiday list refresh FAILED".to_owned(), message)
}

/// What each site's calendars had that was left out, for notices; empty when nothing was.
fn describe_skipped(runs: &[SiteRun]) -> String {
    let mut text = String::new();
    for run in runs.iter().filter(|r| !r.skipped.is_empty()) {
        text.push_str(&format!(
            "\nLeft out of site {}'s calendars (unreadable; the rest was read and published):\n",
            run.holidays.name
        ));
        for skip in &run.skipped {
            text.push_str(&format!("  {skip}\n"));
        }
    }
    text
}

/// The sync per hours of operation, for notices; empty when the sync is not configured.
fn describe_overrides(reports: &[OverrideReport]) -> String {
    let mut text = String::new();
    for report in reports {
        text.push_str(&format!(
            "\nHours of operation {}: {} created, {} removed, {} kept\n",
            report.hours_of_operation_id,
            report.created.len(),
            report.removed.len(),
            report.kept
        ));
        for name in &report.created {
            text.push_str(&format!("  + {name}\n"));
        }
        for name in &report.removed {
            text.push_str(&format!("  - {name}\n"));
        }
        for child in &report.linked {
            text.push_str(&format!("  linked as its child (inherits its overrides): {child}\n"));
        }
        if !report.not_fitting.is_empty() {
            let dates: Vec<String> = report.not_fitting.iter().map(NaiveDate::to_string).collect();
            text.push_str(&format!("  did not fit (50 overrides at most): {}\n", dates.join(", ")));
        }
        if report.incomplete {
            text.push_str("  not finished in this run's time; the next run carries on\n");
        }
        if let Some(error) = &report.error {
            text.push_str(&format!("  FAILED: {error}\n"));
        }
    }
    text
}

fn describe_holiday(h: &Holiday) -> String {
    match h.closed {
        None => format!("{} {}", h.date, h.name),
        Some(window) => format!("{} {} {}", h.date, window, h.name),
    }
}

fn describe_changes(config: &Config, summary: &Summary, runs: &[SiteRun]) -> String {
    let mut text = format!(
        "holiday-fetcher published a new holiday list to s3://{}/{} ({} holidays).\n",
        config.bucket, config.key, summary.holiday_count
    );
    if let Some(refused) = &summary.forced {
        text.push_str(&format!(
            "\nFORCED: published with {{\"force\": true}} although the guard had refused it: {refused}\n"
        ));
    }
    for run in runs {
        let changes = &run.changes;
        if changes.is_empty() {
            continue;
        }
        if runs.len() > 1 {
            text.push_str(&format!("\nSite {} ({} holidays):\n", run.holidays.name, run.holidays.holidays.len()));
        }
        let sections: [(&str, Vec<String>); 3] = [
            ("Added", changes.added.iter().map(describe_holiday).collect()),
            ("Removed", changes.removed.iter().map(describe_holiday).collect()),
            (
                "Changed",
                changes
                    .renamed
                    .iter()
                    .map(|(old, new)| format!("{} -> {}", describe_holiday(old), describe_holiday(new)))
                    .collect(),
            ),
        ];
        for (title, lines) in sections.iter().filter(|(_, lines)| !lines.is_empty()) {
            text.push_str(&format!("\n{title}:\n"));
            for line in lines {
                text.push_str(&format!("  {line}\n"));
            }
        }
    }
    text.push_str(&format!("\nSources:\n  {}\n", config.calendar_urls().join("\n  ")));
    text
}

/// The restricted-period sync per campaign, for notices; empty when no site names a campaign.
fn describe_periods(reports: &[PeriodReport]) -> String {
    let mut text = String::new();
    for report in reports {
        text.push_str(&format!(
            "\nCampaign {} (site {}): {} restricted periods added, {} removed, {} kept\n",
            report.campaign_id,
            report.site,
            report.added.len(),
            report.removed.len(),
            report.kept
        ));
        if let Some(error) = &report.error {
            text.push_str(&format!("  FAILED: {error}\n"));
            if report.changed() {
                text.push_str(
                    "  what the campaign should hold but does not (make these by hand if it stays refused):\n",
                );
            }
        }
        for name in &report.added {
            text.push_str(&format!("  + {name}\n"));
        }
        for name in &report.removed {
            text.push_str(&format!("  - {name}\n"));
        }
        if !report.windows_left_out.is_empty() {
            let dates: Vec<String> = report.windows_left_out.iter().map(NaiveDate::to_string).collect();
            text.push_str(&format!(
                "  early closes left out (a restricted period is whole days): {}\n",
                dates.join(", ")
            ));
        }
    }
    text
}
