//! Hours of operation overrides: List, Create and Delete.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::common::{ApiError, Page, invalid_parameter, not_found};
use super::{ConnectEmulator, State, lock};

/// Connect's limit of overrides per hours of operation.
pub const MAX_HOURS_OVERRIDES: usize = 50;
const LIST_DEFAULT_PAGE: usize = 100;

/// An hours-of-operation override as the emulator holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct HoursOverride {
    pub id: String,
    pub name: String,
    pub effective_from: String,
    pub effective_till: String,
    /// `CLOSED`, `OPEN` or `STANDARD`.
    pub override_type: String,
    pub config: Value,
}

#[derive(Debug, Default)]
pub(super) struct Hours {
    /// hours of operation ID -> its overrides, in creation order.
    overrides: BTreeMap<String, Vec<HoursOverride>>,
    next_id: u64,
}

impl Hours {
    fn new_id(&mut self) -> String {
        self.next_id += 1;
        format!("ho-{:06}", self.next_id)
    }

    fn of(&self, hours_id: &str) -> &[HoursOverride] {
        self.overrides.get(hours_id).map(Vec::as_slice).unwrap_or_default()
    }
}

impl ConnectEmulator {
    /// The overrides of an hours of operation, in creation order.
    pub fn hours_overrides(&self, hours_id: &str) -> Vec<HoursOverride> {
        lock(&self.state).hours.of(hours_id).to_vec()
    }

    /// An override made by a person in the console (standard hours on `date`).
    pub fn add_hours_override(&self, hours_id: &str, name: &str, date: &str) {
        let mut state = lock(&self.state);
        let hours = &mut state.hours;
        let id = hours.new_id();
        hours.overrides.entry(hours_id.to_owned()).or_default().push(HoursOverride {
            id,
            name: name.to_owned(),
            effective_from: date.to_owned(),
            effective_till: date.to_owned(),
            override_type: "STANDARD".to_owned(),
            config: json!([]),
        });
    }
}

fn override_json(hours_id: &str, o: &HoursOverride) -> Value {
    json!({
        "HoursOfOperationOverrideId": o.id,
        "HoursOfOperationId": hours_id,
        "Name": o.name,
        "EffectiveFrom": o.effective_from,
        "EffectiveTill": o.effective_till,
        "OverrideType": o.override_type,
        "Config": o.config,
    })
}

pub(super) fn list_hours_overrides(state: &State, input: &Value) -> Result<Value, ApiError> {
    let hours_id = input["HoursOfOperationId"].as_str().unwrap_or_default();
    let overrides = state.hours.of(hours_id);
    let page = Page::of(input, LIST_DEFAULT_PAGE, overrides.len())?;
    let listed: Vec<Value> = page.slice(overrides).iter().map(|o| override_json(hours_id, o)).collect();
    Ok(page.answer(json!({ "HoursOfOperationOverrideList": listed })))
}

fn is_date(text: &str) -> bool {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
}

/// The model checks the name (1 to 127 characters of its pattern) and the date format. Beyond it:
/// real dates with the end not before the start; a name unique in the hours of operation (409
/// `DuplicateResourceException`); at most 50 overrides (402 `ServiceQuotaExceededException`).
pub(super) fn create_hours_override(state: &mut State, input: &Value) -> Result<Value, ApiError> {
    let hours_id = input["HoursOfOperationId"].as_str().unwrap_or_default();
    let name = input["Name"].as_str().unwrap_or_default();
    let from = input["EffectiveFrom"].as_str().unwrap_or_default();
    let till = input["EffectiveTill"].as_str().unwrap_or_default();
    if !is_date(from) || !is_date(till) || till < from {
        return Err(invalid_parameter(format!("EffectiveFrom {from:?} / EffectiveTill {till:?} are not a date range")));
    }
    let hours = &mut state.hours;
    let existing = hours.of(hours_id);
    if existing.iter().any(|o| o.name == name) {
        return Err(ApiError::new(409, "DuplicateResourceException", format!("an override named {name:?} exists")));
    }
    if existing.len() >= MAX_HOURS_OVERRIDES {
        return Err(ApiError::new(
            402,
            "ServiceQuotaExceededException",
            format!("at most {MAX_HOURS_OVERRIDES} overrides per hours of operation"),
        ));
    }
    let id = hours.new_id();
    hours.overrides.entry(hours_id.to_owned()).or_default().push(HoursOverride {
        id: id.clone(),
        name: name.to_owned(),
        effective_from: from.to_owned(),
        effective_till: till.to_owned(),
        override_type: input["OverrideType"].as_str().unwrap_or("STANDARD").to_owned(),
        config: input["Config"].clone(),
    });
    Ok(json!({ "HoursOfOperationOverrideId": id }))
}

pub(super) fn delete_hours_override(state: &mut State, input: &Value) -> Result<Value, ApiError> {
    let hours_id = input["HoursOfOperationId"].as_str().unwrap_or_default();
    let override_id = input["HoursOfOperationOverrideId"].as_str().unwrap_or_default();
    let overrides = state.hours.overrides.entry(hours_id.to_owned()).or_default();
    let before = overrides.len();
    overrides.retain(|o| o.id != override_id);
    if overrides.len() == before {
        return Err(not_found(format!("override {override_id} not found")));
    }
    Ok(json!({}))
}
