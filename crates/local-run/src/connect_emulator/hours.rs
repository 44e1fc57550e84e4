//! Hours of operation overrides (List, Create, Delete) and parent/child links (Associate,
//! ListChild): a child inherits its parents' overrides (Administrator Guide, "Hours of operation
//! overrides": "Each "child" that is linked to a parent record inherits its overrides"), at most
//! 3 parents per child, and a child cannot be a parent itself.

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
    /// child -> its parents, in link order.
    parents: BTreeMap<String, Vec<String>>,
    next_id: u64,
}

/// A child links to at most this many parents (the model's `ParentHoursOfOperationConfigList` max).
const MAX_PARENTS: usize = 3;

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

    /// The parents a child hours of operation is linked to.
    pub fn hours_parents(&self, child_id: &str) -> Vec<String> {
        lock(&self.state).hours.parents.get(child_id).cloned().unwrap_or_default()
    }

    /// The overrides that apply to an hours of operation: its own and its parents'.
    pub fn effective_overrides(&self, hours_id: &str) -> Vec<HoursOverride> {
        let state = lock(&self.state);
        let hours = &state.hours;
        let mut all = hours.of(hours_id).to_vec();
        for parent in hours.parents.get(hours_id).into_iter().flatten() {
            all.extend(hours.of(parent).iter().cloned());
        }
        all
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

/// Links a child to parents (IDs or ARNs, as the model's `ParentHoursOfOperationConfigs`).
/// Beyond the model: a parent that is itself a child, a child that is someone's parent, or more
/// than 3 parents -> 400 `InvalidRequestException`; linking again changes nothing.
pub(super) fn associate_hours(state: &mut State, input: &Value) -> Result<Value, ApiError> {
    let child = input["HoursOfOperationId"].as_str().unwrap_or_default().to_owned();
    let parents: Vec<String> = input["ParentHoursOfOperationConfigs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["HoursOfOperationId"].as_str())
        .map(|p| super::common::resource_id(p, "operating-hours"))
        .collect();
    let hours = &mut state.hours;
    let invalid = |message: String| Err(ApiError::new(400, "InvalidRequestException", message));
    if parents.iter().any(|p| *p == child || hours.parents.get(p).is_some_and(|g| !g.is_empty())) {
        return invalid(format!("a parent of {child} is itself a child, or the hours of operation itself"));
    }
    if hours.parents.values().any(|linked| linked.contains(&child)) {
        return invalid(format!("{child} is a parent and cannot be a child"));
    }
    let linked = hours.parents.entry(child.clone()).or_default();
    for parent in parents {
        if !linked.contains(&parent) {
            linked.push(parent);
        }
    }
    if linked.len() > MAX_PARENTS {
        linked.truncate(MAX_PARENTS);
        return invalid(format!("{child} may have at most {MAX_PARENTS} parents"));
    }
    Ok(json!({}))
}

pub(super) fn list_child_hours(state: &State, input: &Value) -> Result<Value, ApiError> {
    let parent = input["HoursOfOperationId"].as_str().unwrap_or_default();
    let children: Vec<&String> =
        state.hours.parents.iter().filter(|(_, parents)| parents.iter().any(|p| p == parent)).map(|(c, _)| c).collect();
    let page = Page::of(input, LIST_DEFAULT_PAGE, children.len())?;
    let listed: Vec<Value> = page
        .slice(&children)
        .iter()
        .map(|id| json!({ "Id": id, "Name": id, "Arn": format!("{}/operating-hours/{id}", super::common::instance_arn()) }))
        .collect();
    Ok(page.answer(json!({ "ChildHoursOfOperationsSummaryList": listed })))
}
