//! What one invocation measured: named values with a unit, each published under one or more
//! dimension sets, plus the string fields those sets name. A value, not an I/O: connect-aws
//! writes it as a CloudWatch embedded-metric-format line, tests read it directly.
//!
//! Every dimension set is implicitly prefixed with `Function` by the writer, so `&[]` is the
//! function's total and `&["Outcome"]` its split by outcome.

use std::collections::BTreeMap;

pub const OUTCOME: &str = "Outcome";
pub const SITE: &str = "Site";
pub const CAMPAIGN: &str = "Campaign";
pub const REASON: &str = "Reason";
pub const ERROR_TYPE: &str = "ErrorType";
pub const CHANGE: &str = "Change";
pub const STOPPED: &str = "Stopped";

/// The dimension sets of a counter split by outcome: the total and the split.
pub const BY_OUTCOME: &[&[&str]] = &[&[], &[OUTCOME]];
/// Published once, under the function only.
pub const TOTAL: &[&[&str]] = &[&[]];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
    /// A figure whose unit CloudWatch does not name (hours); the metric's name says it.
    None,
}

impl Unit {
    /// CloudWatch's name of the unit.
    pub fn name(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
            Unit::None => "None",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub name: &'static str,
    pub unit: Unit,
    pub value: f64,
    /// Without the implicit `Function`.
    pub dimension_sets: Vec<Vec<&'static str>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricRecord {
    /// Dimension values and searchable properties (such as `contactId`), never a phone number.
    pub fields: BTreeMap<&'static str, String>,
    pub measures: Vec<Measure>,
}

impl MetricRecord {
    pub fn new() -> MetricRecord {
        MetricRecord::default()
    }

    /// Sets a dimension value or property.
    pub fn field(mut self, key: &'static str, value: impl Into<String>) -> MetricRecord {
        self.fields.insert(key, value.into());
        self
    }

    pub fn set_field(&mut self, key: &'static str, value: impl Into<String>) {
        self.fields.insert(key, value.into());
    }

    /// Adds `value` to the measure `name` (created under `dimension_sets` if new).
    pub fn add(&mut self, name: &'static str, unit: Unit, value: f64, dimension_sets: &[&[&'static str]]) {
        if let Some(measure) = self.measures.iter_mut().find(|m| m.name == name) {
            measure.value += value;
            return;
        }
        let dimension_sets = dimension_sets.iter().map(|set| set.to_vec()).collect();
        self.measures.push(Measure { name, unit, value, dimension_sets });
    }

    pub fn count(mut self, name: &'static str, value: impl Into<f64>, dimension_sets: &[&[&'static str]]) -> Self {
        self.add(name, Unit::Count, value.into(), dimension_sets);
        self
    }

    /// One answer of `outcome`, counted in the total and by outcome.
    pub fn outcome(self, name: &'static str, outcome: &str) -> Self {
        self.field(OUTCOME, outcome).count(name, 1.0, BY_OUTCOME)
    }

    /// One answer of `outcome`, counted in the total, by outcome and, when the answer has a
    /// `key` value (a site, a campaign; empty when it has none), by that and outcome.
    pub fn outcome_within(self, name: &'static str, outcome: &str, (key, value): (&'static str, &str)) -> Self {
        if value.is_empty() {
            return self.outcome(name, outcome);
        }
        self.field(OUTCOME, outcome).field(key, value).count(name, 1.0, &[&[], &[OUTCOME], &[key, OUTCOME]])
    }

    pub fn measure(&self, name: &str) -> Option<&Measure> {
        self.measures.iter().find(|m| m.name == name)
    }

    pub fn value(&self, name: &str) -> Option<f64> {
        self.measure(name).map(|m| m.value)
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }
}

/// Whole milliseconds and fractions, as CloudWatch takes them.
pub fn millis(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_is_counted_in_the_total_and_by_outcome() {
        let record = MetricRecord::new().outcome("Lookups", "preferred");
        let measure = record.measure("Lookups").unwrap();
        assert_eq!(measure.value, 1.0);
        assert_eq!(measure.dimension_sets, vec![vec![], vec![OUTCOME]]);
        assert_eq!(record.get(OUTCOME), Some("preferred"));
    }

    #[test]
    fn adding_to_a_measure_sums_under_its_first_dimensions() {
        let mut record = MetricRecord::new();
        record.add("CallsPlaced", Unit::Count, 2.0, &[&[CAMPAIGN]]);
        record.add("CallsPlaced", Unit::Count, 3.0, &[&[]]);
        assert_eq!(record.value("CallsPlaced"), Some(5.0));
        assert_eq!(record.measure("CallsPlaced").unwrap().dimension_sets, vec![vec![CAMPAIGN]]);
    }
}
