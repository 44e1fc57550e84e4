//! Reading configuration from environment variables, once, at init.
//!
//! Handlers never read the environment: each function's `Config::from_env(&Env)` reads and
//! validates everything up front, so a missing or invalid variable fails init with its name.

use std::collections::HashMap;
use std::fmt::Display;
use std::str::FromStr;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("missing required environment variable {name}")]
    Missing { name: &'static str },
    #[error("environment variable {name} has an invalid value {value:?}: {reason}")]
    Invalid { name: &'static str, value: String, reason: String },
}

/// A snapshot of environment variables. Tests build one from pairs instead of mutating the
/// process environment.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: HashMap<String, String>,
}

impl Env {
    pub fn from_process() -> Self {
        Env { vars: std::env::vars().collect() }
    }

    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Env { vars: pairs.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect() }
    }

    /// The variables of an env file as `cargo lambda deploy --env-file` reads it: `KEY=VALUE`
    /// lines, `#` comments, a value in single quotes taken as written.
    pub fn from_env_file(text: &str) -> Result<Self, String> {
        let mut vars = HashMap::new();
        for (n, line) in text.lines().enumerate().map(|(n, l)| (n + 1, l.trim())) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (key, value) = line.split_once('=').ok_or_else(|| format!("line {n}: not KEY=VALUE"))?;
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_') {
                return Err(format!("line {n}: {key:?} is not a variable name"));
            }
            let value = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).unwrap_or(value);
            vars.insert(key.to_owned(), value.to_owned());
        }
        Ok(Env { vars })
    }

    /// The trimmed value, `None` when unset or blank.
    pub fn optional(&self, name: &str) -> Option<String> {
        self.vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    pub fn required(&self, name: &'static str) -> Result<String, ConfigError> {
        self.optional(name).ok_or(ConfigError::Missing { name })
    }

    /// Parses the value when set, else gives `default`.
    pub fn parse_or<T>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.optional(name) {
            None => Ok(default),
            Some(value) => value.parse().map_err(|e: T::Err| invalid(name, &value, e)),
        }
    }

    /// A comma-separated list, blanks dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.optional(name)
            .map(|v| v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`), else `default`.
    pub fn flag(&self, name: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.optional(name).map(|v| v.to_ascii_lowercase()) {
            None => Ok(default),
            Some(v) if matches!(v.as_str(), "true" | "1" | "yes") => Ok(true),
            Some(v) if matches!(v.as_str(), "false" | "0" | "no") => Ok(false),
            Some(v) => Err(invalid(name, &v, "expected true or false")),
        }
    }

    /// Whether an endpoint override points `service` (e.g. `S3`) at an emulator.
    pub fn has_endpoint_override(&self, service: &str) -> bool {
        self.optional(&format!("AWS_ENDPOINT_URL_{service}")).is_some() || self.optional("AWS_ENDPOINT_URL").is_some()
    }
}

pub fn invalid(name: &'static str, value: &str, reason: impl Display) -> ConfigError {
    ConfigError::Invalid { name, value: value.to_owned(), reason: reason.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_are_read_as_cargo_lambda_reads_them() {
        let text = "# a comment\n\nTIME_ZONE=Asia/Tokyo\n  # SITE=x\nGREETING='少々 お待ち=ください'\nEMPTY=\n";
        let env = Env::from_env_file(text).unwrap();
        assert_eq!(env.optional("TIME_ZONE").as_deref(), Some("Asia/Tokyo"));
        assert_eq!(env.optional("GREETING").as_deref(), Some("少々 お待ち=ください"));
        assert_eq!((env.optional("SITE"), env.optional("EMPTY")), (None, None));
        for bad in ["JUST_A_NAME", "lower=x", "=x"] {
            assert!(Env::from_env_file(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn required_optional_and_parsed_values() {
        let env = Env::from_pairs([("A", " x "), ("BLANK", "  "), ("N", "42"), ("BAD", "4x"), ("L", "a, ,b,")]);
        assert_eq!(env.required("A"), Ok("x".to_owned()));
        assert_eq!(env.required("BLANK"), Err(ConfigError::Missing { name: "BLANK" }));
        assert_eq!(env.parse_or("N", 1u32), Ok(42));
        assert_eq!(env.parse_or("UNSET", 7u32), Ok(7));
        let err = env.parse_or::<u32>("BAD", 1).unwrap_err();
        assert!(err.to_string().contains("BAD") && err.to_string().contains("4x"), "{err}");
        assert_eq!(env.list("L"), ["a", "b"]);
        assert!(env.list("UNSET").is_empty());
    }

    #[test]
    fn flags() {
        let env = Env::from_pairs([("T", "TRUE"), ("F", "0"), ("X", "maybe")]);
        assert_eq!(env.flag("T", false), Ok(true));
        assert_eq!(env.flag("F", true), Ok(false));
        assert_eq!(env.flag("UNSET", true), Ok(true));
        assert!(env.flag("X", false).unwrap_err().to_string().contains('X'));
    }

    #[test]
    fn endpoint_overrides() {
        assert!(Env::from_pairs([("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:1")]).has_endpoint_override("S3"));
        assert!(Env::from_pairs([("AWS_ENDPOINT_URL", "http://127.0.0.1:1")]).has_endpoint_override("S3"));
        assert!(!Env::from_pairs([("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:1")]).has_endpoint_override("S3"));
    }
}
