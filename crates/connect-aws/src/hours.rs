//! Hours-of-operation overrides of one Connect instance: list, create closed (all day or for a
//! window of the day), delete.

use aws_config::SdkConfig;
use aws_sdk_connect::Client;
use aws_sdk_connect::types::{
    HoursOfOperationOverrideConfig, OverrideDays, OverrideTimeSlice, OverrideType, ParentHoursOfOperationConfig,
};
use chrono::{Datelike, Weekday};
use connect_core::holidays::Holiday;
use connect_core::overrides::ExistingOverride;
use connect_core::ports::HoursOverrides;

use crate::connect::{ConnectError, connect_error};
use crate::pacing::ConnectPacer;

const PAGE: i32 = 100;

pub struct ConnectHoursOverrides {
    client: Client,
    instance_id: String,
    /// A sync of many overrides keeps within Connect's rate (2 requests/s per operation).
    pacer: ConnectPacer,
}

impl ConnectHoursOverrides {
    pub fn new(client: Client, instance_id: impl Into<String>) -> Self {
        ConnectHoursOverrides { client, instance_id: instance_id.into(), pacer: ConnectPacer::default() }
    }

    pub fn from_conf(conf: &SdkConfig, instance_id: &str) -> Self {
        Self::new(Client::new(conf), instance_id)
    }
}

fn override_day(day: Weekday) -> OverrideDays {
    match day {
        Weekday::Mon => OverrideDays::Monday,
        Weekday::Tue => OverrideDays::Tuesday,
        Weekday::Wed => OverrideDays::Wednesday,
        Weekday::Thu => OverrideDays::Thursday,
        Weekday::Fri => OverrideDays::Friday,
        Weekday::Sat => OverrideDays::Saturday,
        Weekday::Sun => OverrideDays::Sunday,
    }
}

/// Closed on the holiday's weekday, effective that date only: from 00:00 to 23:59 for a whole
/// day, else the window (an end at 24:00 is written 23:59, as for a whole day).
fn closed_config(holiday: &Holiday) -> Result<HoursOfOperationOverrideConfig, ConnectError> {
    let time = |minute: u32| {
        let minute = minute.min(23 * 60 + 59);
        OverrideTimeSlice::builder()
            .hours((minute / 60) as i32)
            .minutes((minute % 60) as i32)
            .build()
            .map_err(|e| connect_error("CreateHoursOfOperationOverride")(e.into()))
    };
    let (from, until) = holiday.closed.map_or((0, 24 * 60), |w| (w.from_minute(), w.until_minute()));
    Ok(HoursOfOperationOverrideConfig::builder()
        .day(override_day(holiday.date.weekday()))
        .start_time(time(from)?)
        .end_time(time(until)?)
        .build())
}

impl HoursOverrides for ConnectHoursOverrides {
    type Error = ConnectError;

    async fn list(&self, hours_id: &str) -> Result<Vec<ExistingOverride>, ConnectError> {
        self.pacer.pace("ListHoursOfOperationOverrides").await;
        let overrides = self
            .client
            .list_hours_of_operation_overrides()
            .instance_id(&self.instance_id)
            .hours_of_operation_id(hours_id)
            .max_results(PAGE)
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| connect_error("ListHoursOfOperationOverrides")(e.into()))?;
        Ok(overrides
            .into_iter()
            .filter_map(|o| {
                Some(ExistingOverride { id: o.hours_of_operation_override_id?, name: o.name.unwrap_or_default() })
            })
            .collect())
    }

    async fn create_closed(&self, hours_id: &str, name: &str, holiday: &Holiday) -> Result<String, ConnectError> {
        let date = holiday.date.to_string();
        self.pacer.pace("CreateHoursOfOperationOverride").await;
        let created = self
            .client
            .create_hours_of_operation_override()
            .instance_id(&self.instance_id)
            .hours_of_operation_id(hours_id)
            .name(name)
            .description(if holiday.closed.is_some() {
                "Closed part of the day, kept in step by connect-lambdas holiday-fetcher"
            } else {
                "Holiday, kept in step by connect-lambdas holiday-fetcher"
            })
            .override_type(OverrideType::Closed)
            .config(closed_config(holiday)?)
            .effective_from(&date)
            .effective_till(&date)
            .send()
            .await
            .map_err(|e| connect_error("CreateHoursOfOperationOverride")(e.into()))?;
        Ok(created.hours_of_operation_override_id.unwrap_or_default())
    }

    async fn children(&self, parent_id: &str) -> Result<Vec<String>, ConnectError> {
        self.pacer.pace("ListChildHoursOfOperations").await;
        let mut children = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let page = self
                .client
                .list_child_hours_of_operations()
                .instance_id(&self.instance_id)
                .hours_of_operation_id(parent_id)
                .max_results(PAGE)
                .set_next_token(next.take())
                .send()
                .await
                .map_err(|e| connect_error("ListChildHoursOfOperations")(e.into()))?;
            children.extend(page.child_hours_of_operations_summary_list().iter().map(|c| c.id().to_owned()));
            match page.next_token {
                Some(token) if !token.is_empty() => next = Some(token),
                _ => return Ok(children),
            }
        }
    }

    async fn link_child(&self, parent_id: &str, child_id: &str) -> Result<(), ConnectError> {
        self.pacer.pace("AssociateHoursOfOperations").await;
        let parent = ParentHoursOfOperationConfig::builder().hours_of_operation_id(parent_id).build();
        self.client
            .associate_hours_of_operations()
            .instance_id(&self.instance_id)
            .hours_of_operation_id(child_id)
            .parent_hours_of_operation_configs(parent)
            .send()
            .await
            .map_err(|e| connect_error("AssociateHoursOfOperations")(e.into()))?;
        Ok(())
    }

    async fn delete(&self, hours_id: &str, override_id: &str) -> Result<(), ConnectError> {
        self.pacer.pace("DeleteHoursOfOperationOverride").await;
        self.client
            .delete_hours_of_operation_override()
            .instance_id(&self.instance_id)
            .hours_of_operation_id(hours_id)
            .hours_of_operation_override_id(override_id)
            .send()
            .await
            .map_err(|e| connect_error("DeleteHoursOfOperationOverride")(e.into()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{http_response, mocked_client};
    use aws_sdk_connect::operation::create_hours_of_operation_override::CreateHoursOfOperationOverrideOutput;
    use aws_sdk_connect::operation::list_hours_of_operation_overrides::ListHoursOfOperationOverridesOutput;
    use aws_sdk_connect::types::HoursOfOperationOverride;
    use aws_smithy_mocks::{Rule, mock};
    use connect_core::ports::error_chain;

    async fn hours(rules: &[&Rule]) -> ConnectHoursOverrides {
        let client = mocked_client!(aws_sdk_connect, crate::CallProfile::Background, rules);
        ConnectHoursOverrides::new(client, "inst-1")
    }

    fn holiday() -> Holiday {
        Holiday::new("2026-11-23".parse().unwrap(), "勤労感謝の日")
    }

    #[tokio::test]
    async fn overrides_are_listed_over_every_page() {
        let item = |id: &str| {
            HoursOfOperationOverride::builder().hours_of_operation_override_id(id).name(format!("name {id}")).build()
        };
        let list = mock!(Client::list_hours_of_operation_overrides)
            .sequence()
            .output(move || {
                ListHoursOfOperationOverridesOutput::builder()
                    .hours_of_operation_override_list(item("a"))
                    .next_token("t")
                    .build()
            })
            .output(move || {
                ListHoursOfOperationOverridesOutput::builder().hours_of_operation_override_list(item("b")).build()
            })
            .build();
        let found = hours(&[&list]).await.list("h-1").await.unwrap();
        assert_eq!(found.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(list.num_calls(), 2);
    }

    #[tokio::test]
    async fn a_holiday_becomes_a_closed_override_for_its_date_and_weekday() {
        let create = mock!(Client::create_hours_of_operation_override)
            .match_requests(|r| {
                r.override_type() == Some(&OverrideType::Closed)
                    && r.effective_from() == Some("2026-11-23")
                    && r.effective_till() == Some("2026-11-23")
                    && r.name() == Some("holiday 2026-11-23 勤労感謝の日")
                    && r.config().first().and_then(|c| c.day()) == Some(&OverrideDays::Monday)
            })
            .then_output(|| {
                CreateHoursOfOperationOverrideOutput::builder().hours_of_operation_override_id("ov-1").build()
            });
        let id = hours(&[&create]).await.create_closed("h-1", "holiday 2026-11-23 勤労感謝の日", &holiday()).await;
        assert_eq!(id.unwrap(), "ov-1");
    }

    #[tokio::test]
    async fn an_early_close_is_closed_for_its_window_only() {
        let slice = |c: &HoursOfOperationOverrideConfig| {
            let t = |t: Option<&OverrideTimeSlice>| t.map(|t| (t.hours(), t.minutes()));
            (t(c.start_time()), t(c.end_time()))
        };
        let create = mock!(Client::create_hours_of_operation_override)
            .match_requests(move |r| {
                r.config().first().map(slice) == Some((Some((15, 0)), Some((23, 59))))
                    && r.config().first().and_then(|c| c.day()) == Some(&OverrideDays::Monday)
            })
            .then_output(|| {
                CreateHoursOfOperationOverrideOutput::builder().hours_of_operation_override_id("ov-2").build()
            });
        let early = Holiday { closed: "15:00-24:00".parse().ok(), ..Holiday::new("2026-12-28".parse().unwrap(), "x") };
        let id = hours(&[&create]).await.create_closed("h-1", "holiday 2026-12-28 15:00-24:00 x", &early).await;
        assert_eq!(id.unwrap(), "ov-2");
    }

    #[tokio::test]
    async fn a_full_hours_of_operation_is_an_error_naming_the_operation() {
        let full = mock!(Client::create_hours_of_operation_override).then_http_response(|| {
            http_response(402, r#"{"__type":"ServiceQuotaExceededException","message":"at most 50 overrides"}"#)
        });
        let err = hours(&[&full]).await.create_closed("h-1", "n", &holiday()).await.unwrap_err();
        assert!(error_chain(&err).contains("CreateHoursOfOperationOverride"), "{}", error_chain(&err));
        assert_eq!(full.num_calls(), 1);
    }
}
