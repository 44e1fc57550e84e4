//! Outbound: StartOutboundVoiceContact. A placed call becomes a contact (`InitiationMethod`
//! `API`, its queue and attributes, the customer as `CustomerEndpoint`) that a test connects to an
//! agent or ends. Its client token is kept for 7 days by the router, as for every operation
//! with an idempotency token.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::common::{ApiError, invalid_parameter, resource_id, string_map};
use super::contacts::EmulatedContact;
use super::{ConnectEmulator, State, lock};

/// A StartOutboundVoiceContact call the emulator accepted (recorded once per client token).
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundCall {
    pub contact_id: String,
    pub instance_id: String,
    pub destination: String,
    pub contact_flow_id: String,
    pub queue_id: Option<String>,
    pub source_phone_number: Option<String>,
    pub client_token: Option<String>,
    pub attributes: HashMap<String, String>,
}

/// The destination is personal data: masked in `Debug`, as everywhere in the suite.
impl std::fmt::Debug for OutboundCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundCall")
            .field("contact_id", &self.contact_id)
            .field("destination", &connect_core::phone::mask(&self.destination))
            .field("contact_flow_id", &self.contact_flow_id)
            .field("queue_id", &self.queue_id)
            .field("client_token", &self.client_token)
            .field("attributes", &self.attributes)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
pub(super) struct Outbound {
    calls: Vec<OutboundCall>,
    denied_prefixes: Vec<String>,
}

impl ConnectEmulator {
    /// Every StartOutboundVoiceContact call accepted so far, in order (a retried client token once).
    pub fn outbound_calls(&self) -> Vec<OutboundCall> {
        lock(&self.state).outbound.calls.clone()
    }

    /// Destinations starting with `prefix` (e.g. `+1900`) get 403 `DestinationNotAllowedException`.
    pub fn deny_destination_prefix(&self, prefix: &str) {
        lock(&self.state).outbound.denied_prefixes.push(prefix.to_owned());
    }
}

/// E.164: `+` and 7 to 15 digits.
pub fn is_e164(number: &str) -> bool {
    number
        .strip_prefix('+')
        .is_some_and(|digits| (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// The model checks presence and lengths. Beyond it: a destination that is not E.164 ->
/// 400 InvalidParameterException (the member's documented format; botocore's pattern for it is
/// mis-escaped, see the model module); a destination under
/// [`ConnectEmulator::deny_destination_prefix`] -> 403 DestinationNotAllowedException (a
/// well-formed number Connect refuses to dial). The other modeled codes can be had with
/// [`ConnectEmulator::fail_next`].
pub(super) fn start_outbound_voice_contact(state: &mut State, input: &Value) -> Result<Value, ApiError> {
    let destination = input["DestinationPhoneNumber"].as_str().unwrap_or_default();
    if !is_e164(destination) {
        return Err(invalid_parameter(format!("DestinationPhoneNumber {destination:?} is not in E.164 format")));
    }
    if state.outbound.denied_prefixes.iter().any(|prefix| destination.starts_with(prefix.as_str())) {
        return Err(ApiError::new(
            403,
            "DestinationNotAllowedException",
            format!("Outbound calls to {destination} are not allowed"),
        ));
    }
    let now = state.now();
    let contact_id = state.contacts.new_id();
    let queue_id = input["QueueId"].as_str().map(|q| resource_id(q, "queue"));
    let attributes = string_map(&input["Attributes"]);
    let source = input["SourcePhoneNumber"].as_str().map(str::to_owned);
    // The call is a contact from now on: ringing, then whatever the test makes of it.
    let mut contact = EmulatedContact::new(contact_id.clone(), now);
    contact.initiation_method = "API".to_owned();
    contact.queue_id = queue_id.clone();
    contact.attributes = attributes.clone();
    contact.customer_number = Some(destination.to_owned());
    contact.system_number = source.clone();
    state.contacts.put(contact);
    state.contacts.publish(&contact_id, "INITIATED", now);
    state.outbound.calls.push(OutboundCall {
        contact_id: contact_id.clone(),
        instance_id: input["InstanceId"].as_str().unwrap_or_default().to_owned(),
        destination: destination.to_owned(),
        contact_flow_id: input["ContactFlowId"].as_str().unwrap_or_default().to_owned(),
        queue_id,
        source_phone_number: source,
        client_token: input["ClientToken"].as_str().map(str::to_owned),
        attributes,
    });
    Ok(json!({ "ContactId": contact_id }))
}
