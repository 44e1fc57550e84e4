//! Amazon Connect's own service model (botocore's `connect/2017-08-08/service-2.json.gz`, read
//! through the project's venv Python), used to route each request to its operation by HTTP method
//! and `requestUri` template, and to check it the way Connect's front door does: required members,
//! unknown members, types, string lengths, numeric ranges, list and map sizes, enum values.
//!
//! Member patterns are checked too (Smithy patterns are not anchored unless they say so), except
//! the few the `regex` crate cannot compile (look-arounds) and the ones botocore ships with doubled
//! backslashes (`PhoneNumber`'s `\\+[1-9]\\d{1,14}$` would refuse every number, which Connect
//! clearly does not): those are skipped, not guessed at.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use anyhow::{Context, bail};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Connect's model file inside botocore, as botocore ships it.
const MODEL_PATH: &str = "data/connect/2017-08-08/service-2.json.gz";
/// Amazon Connect Outbound Campaigns v2's (the Campaigns v2 emulator checks against it).
pub const CAMPAIGNS_V2_MODEL_PATH: &str = "data/connectcampaignsv2/2024-04-23/service-2.json.gz";

/// The model tells an instance ID from an ID-or-ARN by shape: most operations' `InstanceId` is the
/// shape `InstanceId` (1 to 100 characters, no pattern), documented as "The identifier of the
/// Amazon Connect instance. You can find the instance ID in the Amazon Resource Name (ARN) of the
/// instance"; the few that take either use `InstanceIdOrArn`, whose pattern spells out the
/// optional `arn:...:instance/` prefix. An ARN where the shape is `InstanceId` is refused: the
/// reference promises only the ID there.
const INSTANCE_ID_SHAPE: &str = "InstanceId";

#[derive(Debug, Deserialize)]
struct RawModel {
    operations: HashMap<String, RawOperation>,
    shapes: HashMap<String, Shape>,
}

#[derive(Debug, Deserialize)]
struct RawOperation {
    name: String,
    http: Http,
    input: Option<ShapeRef>,
    #[serde(default)]
    errors: Vec<ShapeRef>,
}

#[derive(Debug, Deserialize)]
struct Http {
    method: String,
    #[serde(rename = "requestUri")]
    request_uri: String,
}

#[derive(Debug, Clone, Deserialize)]
struct ShapeRef {
    shape: String,
}

#[derive(Debug, Deserialize)]
struct Shape {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    members: BTreeMap<String, Member>,
    #[serde(default)]
    required: Vec<String>,
    min: Option<f64>,
    max: Option<f64>,
    #[serde(rename = "enum")]
    enum_values: Option<Vec<String>>,
    pattern: Option<String>,
    member: Option<ShapeRef>,
    key: Option<ShapeRef>,
    value: Option<ShapeRef>,
    #[serde(default)]
    union: bool,
    /// `iso8601` for a timestamp written as text (Campaigns v2); epoch seconds otherwise.
    #[serde(rename = "timestampFormat")]
    timestamp_format: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Member {
    shape: String,
    location: Option<String>,
    #[serde(rename = "locationName")]
    location_name: Option<String>,
    #[serde(rename = "idempotencyToken", default)]
    idempotency_token: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Label(String),
    Greedy(String),
}

/// One operation of the model: how it is addressed and what it accepts.
#[derive(Debug)]
pub struct Operation {
    pub name: String,
    method: String,
    segments: Vec<Segment>,
    input: Option<String>,
    errors: Vec<String>,
}

impl Operation {
    pub fn models_error(&self, code: &str) -> bool {
        self.errors.iter().any(|e| e == code)
    }

    /// The code Connect answers a malformed request of this operation with.
    pub fn validation_error(&self) -> &'static str {
        if self.models_error("InvalidParameterException") {
            "InvalidParameterException"
        } else if self.models_error("InvalidRequestException") {
            "InvalidRequestException"
        } else {
            "ValidationException"
        }
    }

    /// The code of a throttled request (HTTP 429): the operation's modeled throttling error.
    /// StartOutboundVoiceContact models no ThrottlingException; its 429 is LimitExceededException.
    pub fn throttling_error(&self) -> &'static str {
        ["ThrottlingException", "TooManyRequestsException", "LimitExceededException"]
            .into_iter()
            .find(|code| self.models_error(code))
            .unwrap_or("ThrottlingException")
    }
}

/// A request as it came over HTTP: the path split on `/` and each segment percent-decoded,
/// the decoded query pairs, the headers, and the JSON body (`Null` when empty).
pub struct RawRequest<'a> {
    pub method: &'a str,
    pub segments: &'a [String],
    pub query: &'a [(String, String)],
    pub headers: &'a hyper::HeaderMap,
    pub body: &'a Value,
}

/// Why a request was refused: the member (as `Filters.Agents[3]`) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub member: String,
    pub problem: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Value at '{}' failed to satisfy constraint: {}", self.member, self.problem)
    }
}

pub struct ServiceModel {
    operations: Vec<Operation>,
    shapes: HashMap<String, Shape>,
    /// Compiled patterns by source text; `None` for one that is skipped (see the module doc).
    patterns: Mutex<HashMap<String, Option<regex::Regex>>>,
}

static MODEL: OnceLock<Result<Arc<ServiceModel>, String>> = OnceLock::new();
static CAMPAIGNS_V2_MODEL: OnceLock<Result<Arc<ServiceModel>, String>> = OnceLock::new();

impl ServiceModel {
    /// Connect's model, read once per process.
    pub fn shared() -> anyhow::Result<Arc<ServiceModel>> {
        Self::cached(&MODEL, MODEL_PATH)
    }

    /// Outbound Campaigns v2's model, read once per process.
    pub fn campaigns_v2() -> anyhow::Result<Arc<ServiceModel>> {
        Self::cached(&CAMPAIGNS_V2_MODEL, CAMPAIGNS_V2_MODEL_PATH)
    }

    fn cached(cell: &OnceLock<Result<Arc<ServiceModel>, String>>, path: &str) -> anyhow::Result<Arc<ServiceModel>> {
        cell.get_or_init(|| ServiceModel::read(path).map(Arc::new).map_err(|e| format!("{e:#}")))
            .clone()
            .map_err(anyhow::Error::msg)
    }

    fn read(model_path: &str) -> anyhow::Result<ServiceModel> {
        let python = crate::venv_python();
        if !python.is_file() {
            bail!("{} not found: run `make venv` (or set MOTO_PYTHON)", python.display());
        }
        let script = format!(
            "import gzip, os, sys, botocore\n\
             path = os.path.join(os.path.dirname(botocore.__file__), {model_path:?})\n\
             sys.stdout.buffer.write(gzip.open(path).read())"
        );
        let output = std::process::Command::new(&python)
            .args(["-c", &script])
            .output()
            .with_context(|| format!("running {}", python.display()))?;
        if !output.status.success() {
            bail!("reading botocore's model {model_path} failed: {}", String::from_utf8_lossy(&output.stderr));
        }
        ServiceModel::parse(&output.stdout)
    }

    fn parse(json: &[u8]) -> anyhow::Result<ServiceModel> {
        let raw: RawModel = serde_json::from_slice(json).context("parsing a botocore model")?;
        let mut operations: Vec<Operation> = raw
            .operations
            .into_values()
            .map(|op| {
                let path = op.http.request_uri.split('?').next().unwrap_or_default();
                let segments = path.split('/').filter(|s| !s.is_empty()).map(segment).collect();
                Operation {
                    name: op.name,
                    method: op.http.method,
                    segments,
                    input: op.input.map(|r| r.shape),
                    errors: op.errors.into_iter().map(|r| r.shape).collect(),
                }
            })
            .collect();
        // Where two templates match one path, the one with more literal segments is meant.
        operations.sort_by_key(|op| {
            std::cmp::Reverse(op.segments.iter().filter(|s| matches!(s, Segment::Literal(_))).count())
        });
        Ok(ServiceModel { operations, shapes: raw.shapes, patterns: Mutex::new(HashMap::new()) })
    }

    pub fn operation_named(&self, name: &str) -> Option<&Operation> {
        self.operations.iter().find(|op| op.name == name)
    }

    /// The operation a request addresses, with its URI labels.
    pub fn route(&self, method: &str, segments: &[String]) -> Option<(&Operation, BTreeMap<String, String>)> {
        self.operations
            .iter()
            .filter(|op| op.method == method)
            .find_map(|op| match_template(&op.segments, segments).map(|labels| (op, labels)))
    }

    /// The member that carries the operation's idempotency token (`ClientToken`), if any.
    pub fn idempotency_member(&self, operation: &Operation) -> Option<&str> {
        let input = self.shapes.get(operation.input.as_deref()?)?;
        input.members.iter().find(|(_, m)| m.idempotency_token).map(|(name, _)| name.as_str())
    }

    /// Checks a request against the operation's input shape and answers its input as one JSON
    /// object keyed by member name: URI labels, query parameters and headers (converted to their
    /// types) merged with the body members.
    pub fn check(
        &self,
        operation: &Operation,
        labels: &BTreeMap<String, String>,
        request: &RawRequest<'_>,
    ) -> Result<Value, Violation> {
        let Some(input_name) = &operation.input else {
            return Ok(Value::Object(Map::new()));
        };
        let input = self.shape(input_name)?;
        let body = match request.body {
            Value::Null => Map::new(),
            Value::Object(body) => body.clone(),
            _ => return Err(violation("body", "must be a JSON object")),
        };
        let mut merged = Map::new();
        let mut body_names = Vec::new();
        let mut query_names = Vec::new();
        for (name, member) in &input.members {
            let wire = member.location_name.as_deref().unwrap_or(name);
            let value = match member.location.as_deref() {
                Some("uri") => labels.get(wire).map(|v| Value::String(v.clone())),
                Some("querystring") => {
                    query_names.push(wire);
                    self.query_value(name, &member.shape, wire, request.query)?
                }
                Some("header") => {
                    request.headers.get(wire).and_then(|v| v.to_str().ok()).map(|v| Value::String(v.to_owned()))
                }
                _ => {
                    body_names.push(wire);
                    body.get(wire).filter(|v| !v.is_null()).cloned()
                }
            };
            if let Some(value) = value {
                merged.insert(name.clone(), value);
            }
        }
        if let Some(unknown) = body.keys().find(|key| !body_names.contains(&key.as_str())) {
            return Err(violation(unknown, &format!("is not a member of {input_name}")));
        }
        if let Some((unknown, _)) = request.query.iter().find(|(key, _)| !query_names.contains(&key.as_str())) {
            return Err(violation(unknown, &format!("is not a query parameter of {}", operation.name)));
        }
        let merged = Value::Object(merged);
        self.check_value(input_name, &merged, "")?;
        Ok(merged)
    }

    fn shape(&self, name: &str) -> Result<&Shape, Violation> {
        self.shapes.get(name).ok_or_else(|| violation(name, "shape missing from the model"))
    }

    /// A query parameter as the JSON value of its member's type (lists repeat the key).
    fn query_value(
        &self,
        member: &str,
        shape_name: &str,
        wire: &str,
        query: &[(String, String)],
    ) -> Result<Option<Value>, Violation> {
        let shape = self.shape(shape_name)?;
        let mut values = query.iter().filter(|(key, _)| key == wire).map(|(_, v)| v.as_str());
        if shape.kind == "list" {
            let items: Vec<Value> = values.map(|v| Value::String(v.to_owned())).collect();
            return Ok((!items.is_empty()).then_some(Value::Array(items)));
        }
        let Some(text) = values.next() else {
            return Ok(None);
        };
        let value = match shape.kind.as_str() {
            "integer" | "long" => {
                text.parse::<i64>().map(Value::from).map_err(|_| violation(member, "must be an integer"))?
            }
            "boolean" => match text {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => return Err(violation(member, "must be true or false")),
            },
            "timestamp" => chrono::DateTime::parse_from_rfc3339(text)
                .map(|t| Value::from(t.timestamp_millis() as f64 / 1000.0))
                .map_err(|_| violation(member, "must be an ISO 8601 timestamp"))?,
            _ => Value::String(text.to_owned()),
        };
        Ok(Some(value))
    }

    fn check_value(&self, shape_name: &str, value: &Value, path: &str) -> Result<(), Violation> {
        let shape = self.shape(shape_name)?;
        let at = |problem: &str| violation(if path.is_empty() { shape_name } else { path }, problem);
        match shape.kind.as_str() {
            "structure" => {
                let Value::Object(fields) = value else {
                    return Err(at("must be an object"));
                };
                for required in &shape.required {
                    if fields.get(required).is_none_or(Value::is_null) {
                        return Err(violation(&join(path, required), "Member must not be null"));
                    }
                }
                if shape.union && fields.values().filter(|v| !v.is_null()).count() != 1 {
                    return Err(at("exactly one member of the union must be set"));
                }
                for (name, field) in fields {
                    let Some(member) = shape.members.get(name) else {
                        return Err(violation(&join(path, name), &format!("is not a member of {shape_name}")));
                    };
                    if !field.is_null() {
                        self.check_value(&member.shape, field, &join(path, name))?;
                    }
                }
            }
            "list" => {
                let Value::Array(items) = value else {
                    return Err(at("must be a list"));
                };
                check_bounds(shape, items.len() as f64, "length").map_err(|p| at(&p))?;
                let item_shape = shape.member.as_ref().map(|r| r.shape.as_str()).unwrap_or_default();
                for (i, item) in items.iter().enumerate() {
                    self.check_value(item_shape, item, &format!("{path}[{i}]"))?;
                }
            }
            "map" => {
                let Value::Object(entries) = value else {
                    return Err(at("must be a map"));
                };
                check_bounds(shape, entries.len() as f64, "size").map_err(|p| at(&p))?;
                let key_shape = shape.key.as_ref().map(|r| r.shape.as_str()).unwrap_or_default();
                let value_shape = shape.value.as_ref().map(|r| r.shape.as_str()).unwrap_or_default();
                for (key, entry) in entries {
                    let entry_path = format!("{path}.{key}");
                    self.check_value(key_shape, &Value::String(key.clone()), &format!("{entry_path} (key)"))?;
                    self.check_value(value_shape, entry, &entry_path)?;
                }
            }
            "string" => {
                let Value::String(text) = value else {
                    return Err(at("must be a string"));
                };
                check_bounds(shape, text.chars().count() as f64, "length").map_err(|p| at(&p))?;
                if let Some(allowed) = &shape.enum_values
                    && !allowed.contains(text)
                {
                    return Err(at(&format!("Member must satisfy enum value set: [{}]", allowed.join(", "))));
                }
                if let Some(pattern) = &shape.pattern
                    && !self.matches(pattern, text)
                {
                    return Err(at(&format!("Member must satisfy regular expression pattern: {pattern}")));
                }
                if shape_name == INSTANCE_ID_SHAPE && text.starts_with("arn:") {
                    return Err(at("Member must be an instance ID, not an instance ARN"));
                }
            }
            "integer" | "long" => {
                let Some(number) = value.as_i64() else {
                    return Err(at("must be an integer"));
                };
                check_bounds(shape, number as f64, "value").map_err(|p| at(&p))?;
            }
            "double" | "float" => {
                let Some(number) = value.as_f64() else {
                    return Err(at("must be a number"));
                };
                check_bounds(shape, number, "value").map_err(|p| at(&p))?;
            }
            "boolean" if !value.is_boolean() => return Err(at("must be a boolean")),
            "timestamp"
                if shape.timestamp_format.as_deref() == Some("iso8601")
                    && value.as_str().is_none_or(|t| chrono::DateTime::parse_from_rfc3339(t).is_err()) =>
            {
                return Err(at("must be an ISO 8601 timestamp"));
            }
            "timestamp" if shape.timestamp_format.as_deref() == Some("iso8601") => {}
            "timestamp" if !value.is_number() => return Err(at("must be a timestamp (epoch seconds)")),
            "blob" if !value.is_string() => return Err(at("must be base64 text")),
            _ => {}
        }
        Ok(())
    }
}

impl ServiceModel {
    fn matches(&self, pattern: &str, text: &str) -> bool {
        let mut patterns = self.patterns.lock().unwrap_or_else(PoisonError::into_inner);
        let compiled = patterns
            .entry(pattern.to_owned())
            .or_insert_with(|| if pattern.contains("\\\\") { None } else { regex::Regex::new(pattern).ok() });
        compiled.as_ref().is_none_or(|re| re.is_match(text))
    }
}

fn segment(text: &str) -> Segment {
    match text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        Some(label) => match label.strip_suffix('+') {
            Some(greedy) => Segment::Greedy(greedy.to_owned()),
            None => Segment::Label(label.to_owned()),
        },
        None => Segment::Literal(text.to_owned()),
    }
}

fn match_template(template: &[Segment], path: &[String]) -> Option<BTreeMap<String, String>> {
    let mut labels = BTreeMap::new();
    for (i, part) in template.iter().enumerate() {
        match part {
            Segment::Literal(literal) => {
                if path.get(i) != Some(literal) {
                    return None;
                }
            }
            Segment::Label(name) => {
                labels.insert(name.clone(), path.get(i)?.clone());
            }
            Segment::Greedy(name) => {
                let rest = path.get(i..).filter(|rest| !rest.is_empty())?;
                labels.insert(name.clone(), rest.join("/"));
                return Some(labels);
            }
        }
    }
    (template.len() == path.len()).then_some(labels)
}

fn join(path: &str, member: &str) -> String {
    if path.is_empty() { member.to_owned() } else { format!("{path}.{member}") }
}

fn violation(member: &str, problem: &str) -> Violation {
    Violation { member: member.to_owned(), problem: problem.to_owned() }
}

/// `min`/`max` of a shape against a string's length, a list's length, a map's size or a number's
/// value (`what`).
fn check_bounds(shape: &Shape, measure: f64, what: &str) -> Result<(), String> {
    if let Some(min) = shape.min
        && measure < min
    {
        return Err(format!("Member must have {what} greater than or equal to {min}"));
    }
    if let Some(max) = shape.max
        && measure > max
    {
        return Err(format!("Member must have {what} less than or equal to {max}"));
    }
    Ok(())
}
