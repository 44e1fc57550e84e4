use connect_aws::settings::AssignmentSettings;
use connect_aws::{ConfigError, Env};

/// What the caller hears while the flow transfers them (the flow plays `$.External.message`).
pub const DEFAULT_GREETING: &str = "担当者にお繋ぎ致しますので少々お待ちください。";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub assignments: AssignmentSettings,
    pub greeting: String,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Config {
            assignments: AssignmentSettings::from_env(env)?,
            greeting: env.optional("GREETING_MESSAGE").unwrap_or_else(|| DEFAULT_GREETING.to_owned()),
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
}
