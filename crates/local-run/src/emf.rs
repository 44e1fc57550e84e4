//! The CloudWatch embedded-metric-format lines a function wrote, read back the way CloudWatch
//! Logs would: a line is a metric record only if it is a JSON object with a valid `_aws`
//! directive, and a metric is published only under dimension sets whose members are strings.
//! Tests check the lines with [`MetricLine::check`]; the demo sums them with [`summary`].

use std::collections::BTreeMap;

use anyhow::{Context, bail, ensure};
use serde_json::Value;

use crate::LambdaProcess;

/// CloudWatch's units, as the specification lists them (the ones this suite may write).
const UNITS: &[&str] = &["Count", "Milliseconds", "None", "Seconds", "Bytes", "Percent"];

#[derive(Debug, Clone, PartialEq)]
pub struct MetricLine(pub Value);

impl MetricLine {
    /// `None` for a line that is not EMF (a log line).
    pub fn parse(line: &str) -> Option<MetricLine> {
        let value: Value = serde_json::from_str(line).ok()?;
        value.get("_aws")?;
        Some(MetricLine(value))
    }

    fn directives(&self) -> impl Iterator<Item = &Value> {
        self.0.pointer("/_aws/CloudWatchMetrics").and_then(Value::as_array).into_iter().flatten()
    }

    /// What CloudWatch Logs requires of the line (namespace, timestamp, each declared metric a
    /// number at the top level, each dimension a string member, at most 30 per set, a known
    /// unit), and what this suite promises: namespace `ConnectLambdas`, `Function` in every
    /// set, and no phone number anywhere in a dimension or value.
    pub fn check(&self) -> anyhow::Result<()> {
        let timestamp = self.0.pointer("/_aws/Timestamp").and_then(Value::as_u64).context("Timestamp")?;
        ensure!(timestamp > 1_600_000_000_000, "Timestamp {timestamp} is not epoch milliseconds");
        let mut declared = 0;
        for directive in self.directives() {
            ensure!(directive["Namespace"] == "ConnectLambdas", "namespace in {directive}");
            let sets = directive["Dimensions"].as_array().context("Dimensions")?;
            for set in sets {
                let set = set.as_array().context("a dimension set")?;
                ensure!(set.len() <= 30 && set.first() == Some(&Value::from("Function")), "set {set:?}");
                for key in set {
                    let key = key.as_str().context("dimension name")?;
                    let value = self.0.get(key).and_then(Value::as_str).with_context(|| format!("dimension {key}"))?;
                    ensure!(!value.is_empty() && !looks_like_a_number(value), "dimension {key}={value}");
                }
            }
            for metric in directive["Metrics"].as_array().context("Metrics")? {
                let name = metric["Name"].as_str().context("metric name")?;
                let unit = metric["Unit"].as_str().unwrap_or("None");
                ensure!(UNITS.contains(&unit), "{name}: unit {unit}");
                ensure!(self.0.get(name).is_some_and(Value::is_number), "{name} has no numeric value");
                declared += 1;
            }
        }
        ensure!(declared > 0, "no metric declared: {}", self.0);
        for (key, value) in self.0.as_object().into_iter().flatten() {
            if let Some(text) = value.as_str()
                && key != "contactId"
                && looks_like_a_number(text)
            {
                bail!("{key}={text} looks like a phone number");
            }
        }
        Ok(())
    }

    pub fn function(&self) -> &str {
        self.field("Function").unwrap_or_default()
    }

    pub fn field(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    /// The value of a metric the line declares (a top-level number alone is not a metric).
    pub fn value(&self, name: &str) -> Option<f64> {
        self.unit(name)?;
        self.0.get(name).and_then(Value::as_f64)
    }

    pub fn unit(&self, name: &str) -> Option<&str> {
        self.directives()
            .flat_map(|d| d["Metrics"].as_array().into_iter().flatten())
            .find(|m| m["Name"] == name)
            .map(|m| m["Unit"].as_str().unwrap_or("None"))
    }

    /// The dimension sets `name` is published under.
    pub fn dimensions(&self, name: &str) -> Vec<Vec<String>> {
        let Some(directive) =
            self.directives().find(|d| d["Metrics"].as_array().is_some_and(|ms| ms.iter().any(|m| m["Name"] == name)))
        else {
            return Vec::new();
        };
        let sets = directive["Dimensions"].as_array().into_iter().flatten();
        sets.map(|set| set.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect())
            .collect()
    }

    fn metric_names(&self) -> Vec<&str> {
        self.directives()
            .flat_map(|d| d["Metrics"].as_array().into_iter().flatten())
            .filter_map(|m| m["Name"].as_str())
            .collect()
    }
}

/// A `+` and digits, or 9 digits in a row: what a phone number written out would look like.
fn looks_like_a_number(text: &str) -> bool {
    let digits = text.chars().filter(char::is_ascii_digit).count();
    (text.starts_with('+') && digits >= 7) || text.as_bytes().windows(9).any(|w| w.iter().all(u8::is_ascii_digit))
}

/// Every EMF line among `logs`.
pub fn metric_lines(logs: &[String]) -> Vec<MetricLine> {
    logs.iter().filter_map(|line| MetricLine::parse(line)).collect()
}

/// The sum of `name` over the lines whose fields match every `(key, value)` of `filter`.
pub fn sum(lines: &[MetricLine], name: &str, filter: &[(&str, &str)]) -> f64 {
    lines
        .iter()
        .filter(|line| filter.iter().all(|(k, v)| line.field(k) == Some(v)))
        .filter_map(|line| line.value(name))
        .sum()
}

impl LambdaProcess {
    /// The EMF lines written so far, once there is at least one per invocation (the reader of
    /// the function's stdout may lag its answer by a moment). Every line is checked.
    pub async fn metric_lines(&self) -> anyhow::Result<Vec<MetricLine>> {
        let mut lines = metric_lines(&self.logs());
        for _ in 0..100 {
            if lines.len() >= self.invocations() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            lines = metric_lines(&self.logs());
        }
        ensure!(lines.len() >= self.invocations(), "{} EMF lines for {} invocations", lines.len(), self.invocations());
        for line in &lines {
            line.check().with_context(|| format!("EMF line {}", line.0))?;
        }
        Ok(lines)
    }
}

/// What the dashboard would show for `lines`: per function, each metric summed (for latency
/// and age, its median and maximum; for pending rows, the last figure) by its finest dimensions.
pub fn summary(lines: &[MetricLine]) -> String {
    let mut totals: BTreeMap<(String, String, String), Vec<f64>> = BTreeMap::new();
    for line in lines {
        for name in line.metric_names() {
            let Some(value) = line.value(name) else { continue };
            let finest = line.dimensions(name).into_iter().max_by_key(Vec::len).unwrap_or_default();
            let labels: Vec<String> = finest
                .iter()
                .filter(|k| k.as_str() != "Function")
                .map(|k| format!("{k}={}", line.field(k).unwrap_or_default()))
                .collect();
            totals.entry((line.function().to_owned(), name.to_owned(), labels.join(" "))).or_default().push(value);
        }
    }
    let mut out = String::new();
    let mut current = "";
    for ((function, name, labels), values) in &totals {
        if function != current {
            out.push_str(&format!("  {function}\n"));
            current = function;
        }
        let figure = if name == "AnswerLatency" || name == "HolidayListAgeHours" {
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
            let max = sorted.last().copied().unwrap_or_default();
            format!("median {median:.1}, max {max:.1} ({} values)", values.len())
        } else if name == "RowsPending" {
            format!("{} at the last run", values.last().copied().unwrap_or_default())
        } else {
            format!("{}", values.iter().sum::<f64>())
        };
        out.push_str(&format!("    {name:<22} {labels:<40} {figure}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> MetricLine {
        MetricLine::parse(text).unwrap()
    }

    const GOOD: &str = r#"{"_aws":{"Timestamp":1764000000000,"CloudWatchMetrics":[{"Namespace":"ConnectLambdas","Dimensions":[["Function"],["Function","Outcome"]],"Metrics":[{"Name":"Lookups","Unit":"Count"}]}]},"Function":"last-agent-lookup","Outcome":"preferred","Lookups":1,"contactId":"7f1b2c3d-0000-4000-8000-000000000001"}"#;

    #[test]
    fn a_valid_line_is_read_and_summed() {
        let good = line(GOOD);
        good.check().unwrap();
        assert_eq!((good.value("Lookups"), good.unit("Lookups")), (Some(1.0), Some("Count")));
        assert_eq!(good.dimensions("Lookups"), vec![vec!["Function"], vec!["Function", "Outcome"]]);
        assert_eq!(sum(&[good.clone(), good.clone()], "Lookups", &[("Outcome", "preferred")]), 2.0);
        assert_eq!(sum(std::slice::from_ref(&good), "Lookups", &[("Outcome", "error")]), 0.0);
        assert!(summary(&[good]).contains("Outcome=preferred"));
        assert_eq!(MetricLine::parse(r#"{"level":"INFO","message":"looked up"}"#), None);
    }

    #[test]
    fn lines_cloudwatch_would_drop_or_that_leak_a_number_are_refused() {
        let broken = [
            GOOD.replace("ConnectLambdas", "Other"),
            GOOD.replace(r#""Lookups":1,"#, ""),
            GOOD.replace(r#""Outcome":"preferred","#, ""),
            GOOD.replace(r#"[["Function"],"#, r#"[["Outcome"],"#),
            GOOD.replace(r#""Unit":"Count""#, r#""Unit":"Hours""#),
            GOOD.replace("preferred", "+81312345678"),
            GOOD.replace(r#""contactId""#, r#""caller":"819012345678","x""#),
        ];
        for text in broken {
            assert!(line(&text).check().is_err(), "{text}");
        }
    }
}
