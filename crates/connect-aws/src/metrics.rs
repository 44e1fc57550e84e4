//! Metrics as CloudWatch embedded metric format (EMF) lines on stdout: Lambda sends stdout to
//! the log group and CloudWatch Logs extracts the metrics, so no API call is on the caller's
//! path and the role needs no `cloudwatch:PutMetricData`.
//!
//! A small writer of our own rather than a crate: the format is one JSON object per line
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>),
//! the crates that write it (`metrics_cloudwatch_embedded`) bring the `metrics` facade and a
//! global registry flushed on a timer, while a function here makes one decision per invocation
//! and writes its line as it answers.

use std::convert::Infallible;
use std::fmt::Debug;
use std::future::Future;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use connect_core::connect::contact_id_in;
use connect_core::metrics::{MetricRecord, TOTAL, Unit, millis};
use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::CallProfile;

pub const NAMESPACE: &str = "ConnectLambdas";
/// The dimension every metric carries: the suite's name of the function.
pub const FUNCTION: &str = "Function";
/// The property that lets Logs Insights follow one contact through the functions.
pub const CONTACT_ID: &str = "contactId";

/// Writes one function's records.
#[derive(Debug, Clone, Copy)]
pub struct EmfWriter {
    function: &'static str,
}

impl EmfWriter {
    pub fn new(function: &'static str) -> EmfWriter {
        EmfWriter { function }
    }

    /// The EMF object: one directive per distinct list of dimension sets, each set led by
    /// `Function`; fields and values as top-level members.
    pub fn render(&self, record: &MetricRecord, timestamp_ms: u64) -> Value {
        let mut groups: Vec<(Vec<Vec<&str>>, Vec<Value>)> = Vec::new();
        let mut root = Map::new();
        root.insert(FUNCTION.to_owned(), Value::from(self.function));
        for (key, value) in &record.fields {
            root.insert((*key).to_owned(), Value::from(value.as_str()));
        }
        for measure in &record.measures {
            let sets: Vec<Vec<&str>> = measure
                .dimension_sets
                .iter()
                .map(|set| std::iter::once(FUNCTION).chain(set.iter().copied()).collect())
                .collect();
            let definition = json!({"Name": measure.name, "Unit": measure.unit.name()});
            match groups.iter_mut().find(|(s, _)| *s == sets) {
                Some((_, metrics)) => metrics.push(definition),
                None => groups.push((sets, vec![definition])),
            }
            root.insert(measure.name.to_owned(), json!(measure.value));
        }
        let directives: Vec<Value> = groups
            .into_iter()
            .map(|(sets, metrics)| json!({"Namespace": NAMESPACE, "Dimensions": sets, "Metrics": metrics}))
            .collect();
        root.insert("_aws".to_owned(), json!({"Timestamp": timestamp_ms, "CloudWatchMetrics": directives}));
        Value::Object(root)
    }

    /// One line on stdout, stamped now. A line that cannot be written is lost, never the answer.
    pub fn emit(&self, record: &MetricRecord) {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let line = self.render(record, u64::try_from(now.as_millis()).unwrap_or(u64::MAX));
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    }
}

/// Counts the HTTP requests (every attempt) a client sends: `ConnectRequests` per invocation.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter(Arc<AtomicU32>);

impl RequestCounter {
    /// The requests since the last call.
    pub fn take(&self) -> u32 {
        self.0.swap(0, Ordering::Relaxed)
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// The metrics of a handler that always answers (a contact-flow function).
pub fn of_answer<R>(metrics: impl Fn(&R) -> MetricRecord) -> impl Fn(&Result<R, Infallible>) -> Vec<MetricRecord> {
    move |result| match result {
        Ok(answer) => vec![metrics(answer)],
        Err(never) => match *never {},
    }
}

/// Serves `handler` like `lambda_runtime::run`, writing after each invocation the records
/// `metrics` makes of its result (one line each: a line holds one value per dimension), with
/// the event's contact id and, for a function a flow waits on, `AnswerLatency` in the first.
pub async fn serve<F, Fut, R, E, M>(
    function: &'static str,
    profile: CallProfile,
    handler: F,
    metrics: M,
) -> Result<(), lambda_runtime::Error>
where
    F: Fn(LambdaEvent<Value>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
    R: Serialize,
    E: Into<Diagnostic> + Debug,
    M: Fn(&Result<R, E>) -> Vec<MetricRecord>,
{
    let writer = EmfWriter::new(function);
    let (handler, metrics) = (&handler, &metrics);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let started = Instant::now();
        let contact_id = contact_id_in(&event.payload).map(str::to_owned);
        let result = handler(event).await;
        let mut records = metrics(&result);
        if profile == CallProfile::ContactFlow {
            if records.is_empty() {
                records.push(MetricRecord::new());
            }
            if let Some(first) = records.first_mut() {
                first.add("AnswerLatency", Unit::Milliseconds, millis(started.elapsed()), TOTAL);
            }
        }
        for mut record in records {
            if let Some(id) = &contact_id {
                record.set_field(CONTACT_ID, id.as_str());
            }
            writer.emit(&record);
        }
        result
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_core::metrics::{BY_OUTCOME, OUTCOME, SITE};

    #[test]
    fn a_record_becomes_one_directive_per_dimension_list_with_function_first() {
        let mut record = MetricRecord::new().field(SITE, "tokyo").outcome("HolidayAnswers", "open");
        record.add("HolidayListAgeHours", Unit::None, 12.5, &[&[], &[SITE]]);
        record.add("AnswerLatency", Unit::Milliseconds, 3.0, TOTAL);
        let line = EmfWriter::new("holiday-check").render(&record, 1_700_000_000_000);
        assert_eq!(line["Function"], "holiday-check");
        assert_eq!((line["Site"].as_str(), line["Outcome"].as_str()), (Some("tokyo"), Some("open")));
        assert_eq!((line["HolidayAnswers"].as_f64(), line["HolidayListAgeHours"].as_f64()), (Some(1.0), Some(12.5)));
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000u64);
        let directives = line["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 3);
        let of = |name: &str| {
            directives
                .iter()
                .find(|d| d["Metrics"].as_array().unwrap().iter().any(|m| m["Name"] == name))
                .unwrap()
                .clone()
        };
        assert_eq!(of("HolidayAnswers")["Dimensions"], json!([["Function"], ["Function", "Outcome"]]));
        assert_eq!(of("HolidayListAgeHours")["Dimensions"], json!([["Function"], ["Function", "Site"]]));
        assert_eq!(of("AnswerLatency")["Metrics"], json!([{"Name": "AnswerLatency", "Unit": "Milliseconds"}]));
        for directive in directives {
            assert_eq!(directive["Namespace"], NAMESPACE);
        }
        assert_eq!(BY_OUTCOME[1], [OUTCOME]);
    }

    #[test]
    fn measures_with_the_same_dimensions_share_a_directive() {
        let record =
            MetricRecord::new().count("CallsPlaced", 2, &[&["Campaign"]]).count("CallsNoAnswer", 1, &[&["Campaign"]]);
        let line = EmfWriter::new("campaign-dialer").render(&record, 0);
        let directives = line["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 1);
        assert_eq!(directives[0]["Metrics"].as_array().unwrap().len(), 2);
    }
}
