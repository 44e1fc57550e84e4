//! Metrics: GetCurrentMetricData.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::common::{ApiError, Page, arn, epoch, id_list, string_list};
use super::{ConnectEmulator, State, lock};

/// The metric [`ConnectEmulator::set_agents_available`] sets.
pub const AGENTS_AVAILABLE: &str = "AGENTS_AVAILABLE";
pub const SLOTS_AVAILABLE: &str = "SLOTS_AVAILABLE";
pub const CONTACTS_IN_QUEUE: &str = "CONTACTS_IN_QUEUE";
const DEFAULT_PAGE: usize = 100;

#[derive(Debug, Default)]
pub(super) struct Metrics {
    /// queue ID -> metric name -> value.
    queues: BTreeMap<String, BTreeMap<String, f64>>,
}

impl ConnectEmulator {
    /// TCP connections clients opened so far (the bench counts new ones per warm call).
    pub fn connections(&self) -> usize {
        self.server.connections()
    }

    /// AGENTS_AVAILABLE of a queue in GetCurrentMetricData, and as many SLOTS_AVAILABLE (each
    /// available agent with one free voice slot, the default routing profile's concurrency).
    /// `None` makes the queue have no result row at all, as Connect does when a queue has
    /// nothing to report.
    pub fn set_agents_available(&self, queue_id: &str, value: Option<u32>) {
        self.set_queue_metric(queue_id, AGENTS_AVAILABLE, value.map(f64::from));
        self.set_queue_metric(queue_id, SLOTS_AVAILABLE, value.map(f64::from));
    }

    /// Any current metric of a queue (`CONTACTS_IN_QUEUE`, `AGENTS_ONLINE`, ...); `None` removes it.
    /// A queue has a GetCurrentMetricData row when at least one requested metric has a value;
    /// requested metrics without one are reported as 0 in that row.
    pub fn set_queue_metric(&self, queue_id: &str, metric_name: &str, value: Option<f64>) {
        let mut state = lock(&self.state);
        let queues = &mut state.metrics.queues;
        match value {
            Some(value) => {
                queues.entry(queue_id.to_owned()).or_default().insert(metric_name.to_owned(), value);
            }
            None => {
                if let Some(metrics) = queues.get_mut(queue_id) {
                    metrics.remove(metric_name);
                    if metrics.is_empty() {
                        queues.remove(queue_id);
                    }
                }
            }
        }
    }
}

/// Rows per queue (`Groupings` has `QUEUE`) or one row for all queues in the filter (no queue
/// grouping); a queue contributes only when one of the requested metrics has a value, so a queue
/// set to `None` gives no row. The values are voice values: a `Channels` filter without `VOICE`
/// gives no rows; a `CHANNEL` grouping adds `"Channel": "VOICE"` to the dimensions. The filter's
/// size (at most 100 queues) is the model's.
pub(super) fn get_current_metric_data(state: &State, input: &Value) -> Result<Value, ApiError> {
    let filters = &input["Filters"];
    let voice = string_list(&filters["Channels"]).is_none_or(|c| c.is_empty() || c.iter().any(|c| c == "VOICE"));
    let groupings = string_list(&input["Groupings"]).unwrap_or_default();
    let by_queue = groupings.iter().any(|g| g == "QUEUE");
    let by_channel = groupings.iter().any(|g| g == "CHANNEL");
    let metrics: Vec<(String, String)> = input["CurrentMetrics"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|m| (m["Name"].as_str().unwrap_or_default().to_owned(), m["Unit"].as_str().unwrap_or("COUNT").to_owned()))
        .collect();
    let known = &state.metrics.queues;
    let mut queues: Vec<String> =
        id_list(&filters["Queues"], "queue").unwrap_or_else(|| known.keys().cloned().collect());
    let mut seen = Vec::new();
    queues.retain(|q| {
        let first = !seen.contains(q);
        seen.push(q.clone());
        first
    });
    // Per queue with data: the value of each requested metric.
    let with_data: Vec<(&str, Vec<Option<f64>>)> = queues
        .iter()
        .filter(|_| voice)
        .map(|q| {
            let values = metrics.iter().map(|(name, _)| known.get(q).and_then(|m| m.get(name)).copied()).collect();
            (q.as_str(), values)
        })
        .filter(|(_, values): &(&str, Vec<Option<f64>>)| values.iter().any(Option::is_some))
        .collect();
    let rows: Vec<Value> = if by_queue {
        with_data.iter().map(|(q, values)| metric_row(Some(q), by_channel, &metrics, values)).collect()
    } else if with_data.is_empty() {
        Vec::new()
    } else {
        let sums: Vec<Option<f64>> = (0..metrics.len())
            .map(|i| with_data.iter().filter_map(|(_, values)| values.get(i).copied().flatten()).reduce(|a, b| a + b))
            .collect();
        vec![metric_row(None, by_channel, &metrics, &sums)]
    };
    let page = Page::of(input, DEFAULT_PAGE, rows.len())?;
    Ok(page.answer(json!({
        "MetricResults": page.slice(&rows),
        "DataSnapshotTime": epoch(&state.now()),
        "ApproximateTotalCount": rows.len(),
    })))
}

fn metric_row(queue_id: Option<&str>, by_channel: bool, metrics: &[(String, String)], values: &[Option<f64>]) -> Value {
    let mut dimensions = Map::new();
    if let Some(queue_id) = queue_id {
        dimensions.insert("Queue".to_owned(), json!({ "Id": queue_id, "Arn": arn("queue", queue_id) }));
    }
    if by_channel {
        dimensions.insert("Channel".to_owned(), json!("VOICE"));
    }
    let collections: Vec<Value> = metrics
        .iter()
        .zip(values)
        .map(|((name, unit), value)| json!({ "Metric": { "Name": name, "Unit": unit }, "Value": value.unwrap_or(0.0) }))
        .collect();
    json!({ "Dimensions": Value::Object(dimensions), "Collections": collections })
}
