//! Amazon Connect contact-flow events, parsed tolerantly.
//!
//! `aws_lambda_events`' `ConnectEvent` rejects a null `CustomerEndpoint`, which chat and task
//! contacts send; a flow would then take its Error branch. These types accept null or missing
//! for every field a flow may leave out, and ignore fields they do not know.

use std::collections::HashMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::phone::CallerNumber;

/// The contact id of any event the suite is invoked with, unparsed: a contact flow's
/// (`Details.ContactData.ContactId`) or a contact event's (`detail.contactId`).
pub fn contact_id_in(event: &Value) -> Option<&str> {
    event
        .pointer("/Details/ContactData/ContactId")
        .or_else(|| event.pointer("/detail/contactId"))
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContactFlowEvent {
    #[serde(deserialize_with = "null_as_default")]
    pub details: Details,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Details {
    #[serde(deserialize_with = "null_as_default")]
    pub contact_data: ContactData,
    /// Values as the flow sent them; read them with [`ContactFlowEvent::parameter`].
    #[serde(deserialize_with = "null_as_default")]
    pub parameters: HashMap<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContactData {
    pub contact_id: Option<String>,
    pub initial_contact_id: Option<String>,
    pub previous_contact_id: Option<String>,
    pub channel: Option<String>,
    pub initiation_method: Option<String>,
    #[serde(rename = "InstanceARN")]
    pub instance_arn: Option<String>,
    pub customer_endpoint: Option<Endpoint>,
    pub system_endpoint: Option<Endpoint>,
    pub queue: Option<Queue>,
    #[serde(deserialize_with = "null_as_default")]
    pub attributes: HashMap<String, Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Endpoint {
    pub address: Option<String>,
    #[serde(rename = "Type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Queue {
    pub name: Option<String>,
    #[serde(rename = "ARN")]
    pub arn: Option<String>,
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An event that is not a contact-flow event at all (not a JSON object, or wrong types).
#[derive(Debug, thiserror::Error)]
#[error("not an Amazon Connect contact-flow event: {0}")]
pub struct MalformedEvent(#[from] serde_json::Error);

impl ContactFlowEvent {
    pub fn from_value(value: Value) -> Result<Self, MalformedEvent> {
        // serde would read a JSON array as a struct's fields in order; an event is an object.
        if !value.is_object() {
            return Err(MalformedEvent(serde::de::Error::custom("expected a JSON object")));
        }
        Ok(serde_json::from_value(value)?)
    }

    /// The contact id for logs; empty when the event had none.
    pub fn contact_id(&self) -> &str {
        self.details.contact_data.contact_id.as_deref().unwrap_or_default()
    }

    /// The caller: the `phoneNumber` parameter when the flow passes one, else the customer
    /// endpoint. `None` (an unknown caller) unless it is an E.164 number: withheld numbers,
    /// `anonymous` and chat contacts without an endpoint are answered, not refused.
    pub fn caller(&self) -> Option<CallerNumber> {
        let raw = match self.parameter("phoneNumber") {
            Some(number) => number,
            None => self.details.contact_data.customer_endpoint.as_ref()?.address.clone()?,
        };
        CallerNumber::parse(&raw)
    }

    /// A flow parameter as text, trimmed; `None` when absent or blank. Numbers and booleans
    /// are accepted as their text, since a flow may pass attributes of either kind.
    pub fn parameter(&self, name: &str) -> Option<String> {
        text_of(self.details.parameters.get(name)?)
    }

    /// A contact attribute as text, trimmed, read like [`ContactFlowEvent::parameter`].
    pub fn attribute(&self, name: &str) -> Option<String> {
        text_of(self.details.contact_data.attributes.get(name)?)
    }
}

fn text_of(value: &Value) -> Option<String> {
    let text = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return None,
    };
    (!text.is_empty()).then_some(text)
}

/// `"true"` / `"false"`: Connect responses are flat maps of strings.
pub fn flag(value: bool) -> String {
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn chat_contact_with_null_endpoints_and_queue_parses() {
        let event = json!({
            "Name": "ContactFlowEvent",
            "Details": {
                "ContactData": {
                    "ContactId": "c-1", "Channel": "CHAT", "InitiationMethod": "API",
                    "CustomerEndpoint": null, "SystemEndpoint": null, "Queue": null, "Attributes": null,
                    "SomethingNew": {"nested": true}
                },
                "Parameters": null
            }
        });
        let event = ContactFlowEvent::from_value(event).unwrap();
        assert_eq!(event.contact_id(), "c-1");
        assert!(event.details.contact_data.customer_endpoint.is_none());
        assert!(event.details.parameters.is_empty());
    }

    #[test]
    fn missing_details_and_empty_objects_parse() {
        for value in [json!({}), json!({"Details": {}}), json!({"Details": null})] {
            let event = ContactFlowEvent::from_value(value).unwrap();
            assert_eq!(event.contact_id(), "");
            assert_eq!(event.parameter("date"), None);
        }
    }

    #[test]
    fn parameters_are_trimmed_text() {
        let event = ContactFlowEvent::from_value(json!({"Details": {"Parameters": {
            "date": " 2026-01-01 ", "blank": "  ", "n": 3, "b": true, "o": {"x": 1}
        }}}))
        .unwrap();
        assert_eq!(event.parameter("date").as_deref(), Some("2026-01-01"));
        assert_eq!(event.parameter("blank"), None);
        assert_eq!(event.parameter("n").as_deref(), Some("3"));
        assert_eq!(event.parameter("b").as_deref(), Some("true"));
        assert_eq!(event.parameter("o"), None);
    }

    #[test]
    fn attributes_are_read_like_parameters() {
        let event = ContactFlowEvent::from_value(json!({"Details": {"ContactData": {"Attributes": {
            "campaign": " spring ", "blank": "", "n": 1
        }}}}))
        .unwrap();
        assert_eq!(event.attribute("campaign").as_deref(), Some("spring"));
        assert_eq!((event.attribute("blank"), event.attribute("missing")), (None, None));
        assert_eq!(event.attribute("n").as_deref(), Some("1"));
        assert_eq!(event.parameter("campaign"), None, "attributes are not parameters");
    }

    #[test]
    fn voice_contact_endpoint_is_read() {
        let event = ContactFlowEvent::from_value(json!({"Details": {"ContactData": {
            "CustomerEndpoint": {"Address": "+81312345678", "Type": "TELEPHONE_NUMBER"},
            "InstanceARN": "arn:aws:connect:ap-northeast-1:1:instance/i",
            "Queue": {"Name": "Support", "ARN": "arn:aws:connect:ap-northeast-1:1:instance/i/queue/q"}
        }}}))
        .unwrap();
        assert_eq!(
            event.details.contact_data.instance_arn.as_deref(),
            Some("arn:aws:connect:ap-northeast-1:1:instance/i")
        );
        let endpoint = event.details.contact_data.customer_endpoint.clone().unwrap();
        assert_eq!(endpoint.address.as_deref(), Some("+81312345678"));
        assert_eq!(endpoint.kind.as_deref(), Some("TELEPHONE_NUMBER"));
    }

    #[test]
    fn the_caller_comes_from_the_parameter_else_the_endpoint() {
        let event = |parameters: Value, endpoint: Value| {
            ContactFlowEvent::from_value(json!({"Details": {
                "ContactData": {"CustomerEndpoint": endpoint}, "Parameters": parameters
            }}))
            .unwrap()
        };
        let phone = json!({"Address": "+81312345678", "Type": "TELEPHONE_NUMBER"});
        let caller = |e: ContactFlowEvent| e.caller().map(|c| c.as_e164().to_owned());
        assert_eq!(caller(event(json!({}), phone.clone())).as_deref(), Some("+81312345678"));
        assert_eq!(
            caller(event(json!({"phoneNumber": " +819012345678 "}), phone.clone())).as_deref(),
            Some("+819012345678")
        );
        assert_eq!(caller(event(json!({"phoneNumber": ""}), phone.clone())).as_deref(), Some("+81312345678"));
        assert_eq!(caller(event(json!({"phoneNumber": "anonymous"}), phone)), None);
        assert_eq!(caller(event(json!({}), json!({"Address": "anonymous"}))), None);
        assert_eq!(caller(event(json!({}), Value::Null)), None);
    }

    #[test]
    fn non_objects_are_malformed() {
        for value in [json!("hello"), json!([1, 2]), json!([]), json!(null), json!({"Details": {"Parameters": "x"}})] {
            assert!(ContactFlowEvent::from_value(value).is_err());
        }
    }

    #[test]
    fn the_contact_id_is_found_in_flow_and_contact_events_alone() {
        let flow = json!({"Details": {"ContactData": {"ContactId": "c-1"}}});
        let contact_event = json!({"detail": {"contactId": "c-2"}});
        assert_eq!(contact_id_in(&flow), Some("c-1"));
        assert_eq!(contact_id_in(&contact_event), Some("c-2"));
        for other in
            [json!({}), json!({"detail": {"contactId": ""}}), json!({"Details": {"ContactData": {"ContactId": 7}}})]
        {
            assert_eq!(contact_id_in(&other), None);
        }
    }
}
