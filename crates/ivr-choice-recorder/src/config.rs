use chrono::TimeDelta;
use connect_aws::config::invalid;
use connect_aws::settings::{campaign, retry_after};
use connect_aws::{ConfigError, Env};
use connect_core::campaign::{Campaign, ChoiceMessages};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub table: String,
    /// Used when neither the flow's `campaign` parameter nor the contact's `campaign`
    /// attribute names one.
    pub campaign: Option<Campaign>,
    pub messages: ChoiceMessages,
    /// Where a 9 (do not call me again) is kept for every campaign; only the row's
    /// `DO_NOT_CALL` when unset.
    pub do_not_call_table: Option<String>,
    /// How long after no input or a failed transfer the customer is due again (the dialer's
    /// `RETRY_AFTER_MINUTES`).
    pub retry_after: TimeDelta,
}

impl Config {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        const MESSAGES: &str = "CHOICE_MESSAGES";
        let messages = match env.optional(MESSAGES) {
            None => ChoiceMessages::default(),
            Some(json) => ChoiceMessages::with_overrides(&json).map_err(|e| invalid(MESSAGES, &json, e))?,
        };
        Ok(Config {
            table: env.required("CUSTOMERS_TABLE")?,
            campaign: campaign(env)?,
            messages,
            do_not_call_table: env.optional("DO_NOT_CALL_TABLE"),
            retry_after: retry_after(env)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connect_core::campaign::{Message, Outcome};

    /// The stack hands the function the messages of its language (infra/flows/languages/): each
    /// language other than the function's own Japanese names every message, and only known ones.
    #[test]
    fn every_language_of_the_flows_has_every_message() {
        let english: serde_json::Value =
            serde_json::from_str(include_str!("../../../infra/flows/languages/en-US.json")).unwrap();
        let messages = english["choiceMessages"].to_string();
        let config =
            Config::from_env(&Env::from_pairs([("CUSTOMERS_TABLE", "t"), ("CHOICE_MESSAGES", messages.as_str())]))
                .unwrap();
        let named: Vec<&str> = english["choiceMessages"].as_object().unwrap().keys().map(String::as_str).collect();
        for message in Message::all() {
            assert!(named.contains(&message.name()), "en-US has no {}", message.name());
            assert!(!config.messages.text(message).chars().any(|c| ('\u{3040}'..='\u{9fff}').contains(&c)));
        }
    }

    #[test]
    fn defaults_overrides_and_clear_errors() {
        let config = Config::from_env(&Env::from_pairs([("CUSTOMERS_TABLE", "customers")])).unwrap();
        assert_eq!((config.campaign, config.messages), (None, ChoiceMessages::default()));
        assert_eq!(config.retry_after, TimeDelta::minutes(60), "the dialer's default");

        let config = Config::from_env(&Env::from_pairs([
            ("CUSTOMERS_TABLE", "customers"),
            ("CAMPAIGN", "spring"),
            ("CHOICE_MESSAGES", r#"{"email": "Check your inbox & spam", "opted_out_not_recorded": "Please call us."}"#),
            ("RETRY_AFTER_MINUTES", "30"),
        ]))
        .unwrap();
        assert_eq!(config.campaign.map(|c| c.to_string()).as_deref(), Some("spring"));
        assert_eq!(config.messages.ssml(Outcome::Email), "<speak>Check your inbox &amp; spam</speak>");
        assert_eq!(config.messages.text(Message::OptOutNotRecorded), "Please call us.");
        assert_eq!(config.retry_after, TimeDelta::minutes(30));

        for (pairs, expected) in [
            (vec![], "CUSTOMERS_TABLE"),
            (vec![("CUSTOMERS_TABLE", "t"), ("CHOICE_MESSAGES", "{email: x}")], "CHOICE_MESSAGES: not a JSON object"),
            (vec![("CUSTOMERS_TABLE", "t"), ("CHOICE_MESSAGES", r#"{"later": "x"}"#)], "unknown message"),
            (vec![("CUSTOMERS_TABLE", "t"), ("CAMPAIGN", "a b")], "CAMPAIGN"),
            (vec![("CUSTOMERS_TABLE", "t"), ("RETRY_AFTER_MINUTES", "0")], "RETRY_AFTER_MINUTES"),
            (vec![("CUSTOMERS_TABLE", "t"), ("RETRY_AFTER_MINUTES", "10081")], "RETRY_AFTER_MINUTES"),
        ] {
            let err = Config::from_env(&Env::from_pairs(pairs)).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
    }

    /// `events/ivr-choice-recorder/lambda.env`, the file `cargo lambda deploy --env-file` takes (docs/deploy.md,
    /// "Deploying one function with cargo lambda"), is a configuration this loader accepts.
    #[test]
    fn the_cargo_lambda_env_file_is_a_valid_configuration() {
        let env = Env::from_env_file(include_str!("../../../events/ivr-choice-recorder/lambda.env")).unwrap();
        let config = Config::from_env(&env).unwrap();
        assert_eq!(config.do_not_call_table.as_deref(), Some("connect-lambdas-do-not-call"));
        assert_eq!(config.retry_after, TimeDelta::minutes(60));
    }
}
