use chrono::TimeDelta;
use connect_aws::config::invalid;
use connect_aws::settings::AssignmentSettings;
use connect_aws::{ConfigError, Env};
use connect_core::contact_events::RecordRules;

/// What the caller hears while the flow transfers them (the flow plays `$.External.message`).
pub const DEFAULT_GREETING: &str = "担当者にお繋ぎ致しますので少々お待ちください。";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub assignments: AssignmentSettings,
    pub greeting: String,
    /// Which contact events are recorded (`MIN_CONNECTED_SECONDS`, `RECORD_INITIATION_METHODS`).
    pub rules: RecordRules,
}

/// Connect's `InitiationMethod` values (API Reference, `ContactInitiationMethod`).
const INITIATION_METHODS: [&str; 12] = [
    "INBOUND",
    "OUTBOUND",
    "TRANSFER",
    "QUEUE_TRANSFER",
    "CALLBACK",
    "API",
    "DISCONNECT",
    "MONITOR",
    "EXTERNAL_OUTBOUND",
    "WEBRTC_API",
    "AGENT_REPLY",
    "FLOW",
];

fn rules(env: &Env) -> Result<RecordRules, ConfigError> {
    const MIN: &str = "MIN_CONNECTED_SECONDS";
    const METHODS: &str = "RECORD_INITIATION_METHODS";
    let seconds = env.parse_or(MIN, 0u32)?;
    if seconds > 3_600 {
        return Err(invalid(MIN, &seconds.to_string(), "expected 0 to 3600 seconds"));
    }
    let mut methods: Vec<String> = env.list(METHODS).into_iter().map(|m| m.to_ascii_uppercase()).collect();
    if let Some(unknown) = methods.iter().find(|m| !INITIATION_METHODS.contains(&m.as_str())) {
        return Err(invalid(METHODS, unknown, format!("expected some of {}", INITIATION_METHODS.join(", "))));
    }
    if methods.is_empty() {
        methods.push("INBOUND".to_owned());
    }
    Ok(RecordRules { min_connected: TimeDelta::seconds(seconds.into()), initiation_methods: methods })
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Config {
            assignments: AssignmentSettings::from_env(env)?,
            greeting: env.optional("GREETING_MESSAGE").unwrap_or_else(|| DEFAULT_GREETING.to_owned()),
            rules: rules(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greeting_defaults_and_overrides() {
        let config = Config::from_env(&Env::from_pairs([("ASSIGNMENTS_TABLE", "t")])).unwrap();
        assert_eq!((config.greeting.as_str(), config.assignments.keep_for_days), (DEFAULT_GREETING, 90));
        let config =
            Config::from_env(&Env::from_pairs([("ASSIGNMENTS_TABLE", "t"), ("GREETING_MESSAGE", "Hold on")])).unwrap();
        assert_eq!(config.greeting, "Hold on");
        assert!(Config::from_env(&Env::default()).unwrap_err().to_string().contains("ASSIGNMENTS_TABLE"));
    }

    #[test]
    fn contact_event_rules_default_to_inbound_on_connection() {
        let config = Config::from_env(&Env::from_pairs([("ASSIGNMENTS_TABLE", "t")])).unwrap();
        assert_eq!(
            config.rules,
            RecordRules { min_connected: TimeDelta::zero(), initiation_methods: vec!["INBOUND".into()] }
        );
        let config = Config::from_env(&Env::from_pairs([
            ("ASSIGNMENTS_TABLE", "t"),
            ("MIN_CONNECTED_SECONDS", "20"),
            ("RECORD_INITIATION_METHODS", "inbound, transfer,CALLBACK"),
        ]))
        .unwrap();
        assert_eq!(config.rules.min_connected, TimeDelta::seconds(20));
        assert_eq!(config.rules.initiation_methods, ["INBOUND", "TRANSFER", "CALLBACK"]);
        for (name, value) in [
            ("RECORD_INITIATION_METHODS", "INBOUND,PHONE"),
            ("MIN_CONNECTED_SECONDS", "-1"),
            ("MIN_CONNECTED_SECONDS", "7200"),
        ] {
            let err = Config::from_env(&Env::from_pairs([("ASSIGNMENTS_TABLE", "t"), (name, value)])).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    /// `events/assignment-recorder/lambda.env`, the file `cargo lambda deploy --env-file` takes (docs/deploy.md,
    /// "Deploying one function with cargo lambda"), is a configuration this loader accepts.
    #[test]
    fn the_cargo_lambda_env_file_is_a_valid_configuration() {
        let env = Env::from_env_file(include_str!("../../../events/assignment-recorder/lambda.env")).unwrap();
        let config = Config::from_env(&env).unwrap();
        assert_eq!(config.assignments.table, "connect-lambdas-assignments");
    }
}
