//! What every function's `main` does before serving: logs, SDK configuration with timeouts
//! that fit the caller's budget, and a clear report when configuration is invalid.

use std::error::Error;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::stalled_stream_protection::StalledStreamProtectionConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use connect_core::ports::error_chain;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Connect waits at most 8 s for a function (our flows set 3 s): a contact-flow handler answers
/// within this budget, whatever its AWS calls are doing, with a fallback answer if it must.
pub const ANSWER_WITHIN: Duration = Duration::from_millis(2_500);

/// Time until the invocation's deadline (zero once it has passed).
pub fn time_left(context: &lambda_runtime::Context) -> Duration {
    context.deadline().duration_since(std::time::SystemTime::now()).unwrap_or_default()
}

/// A uniformly random index below `n` (`n > 0`), for `PICK_ORDER=random`.
pub fn random_index(n: usize) -> usize {
    fastrand::usize(..n.max(1))
}

/// Attempts per AWS call of [`CallProfile::Background`].
pub const BACKGROUND_ATTEMPTS: u32 = 5;

/// How long an AWS call may take, by who is waiting for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallProfile {
    /// A caller is on the line and Connect waits at most 8 s (3 s in our flows): two attempts
    /// of at most 600 ms each, so one AWS call never takes more than 1.2 s.
    ContactFlow,
    /// Scheduled work with a Lambda timeout of a minute or more.
    Background,
}

impl CallProfile {
    pub fn timeouts(self) -> TimeoutConfig {
        let (connect, attempt, operation) = match self {
            CallProfile::ContactFlow => (500, 600, 1_200),
            CallProfile::Background => (3_000, 10_000, 30_000),
        };
        TimeoutConfig::builder()
            .connect_timeout(Duration::from_millis(connect))
            .operation_attempt_timeout(Duration::from_millis(attempt))
            .operation_timeout(Duration::from_millis(operation))
            .build()
    }

    pub fn retries(self) -> RetryConfig {
        match self {
            CallProfile::ContactFlow => {
                RetryConfig::standard().with_max_attempts(2).with_initial_backoff(Duration::from_millis(50))
            }
            // Connect's quotas (2 requests/s for most operations) are per account, so a dialer
            // or a sync shares them with everything else: five attempts (backoff up to 0.2, 0.4,
            // 0.8, 1.6 s) outlast a drained bucket refilling at 2/s. Not the adaptive mode: its
            // client-side limiter, once throttled, held calls until the 30 s operation timeout
            // in our tests, which would run a dialer past its deadline.
            CallProfile::Background => RetryConfig::standard()
                .with_max_attempts(BACKGROUND_ATTEMPTS)
                .with_initial_backoff(Duration::from_millis(200)),
        }
    }
}

/// Loads region, credentials and endpoint overrides (`AWS_ENDPOINT_URL`,
/// `AWS_ENDPOINT_URL_<SERVICE>`) from the environment, with the profile's timeouts and retries
/// and the compiled-in TLS roots ([`crate::tls`]).
pub async fn load_aws_config(profile: CallProfile) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(crate::tls::sdk_http_client())
        // The operation and attempt timeouts already bound a stalled answer; the protection's
        // throughput monitor would add a timer and bookkeeping to every body of every request.
        .stalled_stream_protection(StalledStreamProtectionConfig::disabled())
        .timeout_config(profile.timeouts())
        .retry_config(profile.retries())
        .load()
        .await
}

/// Structured JSON logs on stdout; level from `AWS_LAMBDA_LOG_LEVEL`, then `RUST_LOG`, else info.
///
/// The filter is `Targets` (`info`, or `info,aws_smithy_runtime=debug`), not `EnvFilter`, whose
/// regex-based directives would link the regex engine into every function (docs/cpu-profile.md).
pub fn init_tracing() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".to_owned());
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .json()
                .flatten_event(true)
                .with_current_span(false)
                .with_span_list(false)
                .with_target(false)
                .with_ansi(false),
        )
        .with(log_filter(&level))
        .try_init();
}

/// The level directives, with info for every target they leave out: a typo (`inf0` parses as a
/// target name) or a line naming only one target must not silence the function's own logs.
fn log_filter(directives: &str) -> Targets {
    let parsed: Targets = directives.to_ascii_lowercase().parse().unwrap_or_default();
    match parsed.default_level() {
        Some(_) => parsed,
        None => parsed.with_default(tracing::Level::INFO),
    }
}

/// POSTs an init error to the Runtime API on loopback with the hyper client the SDK already
/// links (a second HTTP stack, such as reqwest, would add to every function's package).
async fn post_init_error(api: &str, body: String) -> Result<(), Box<dyn Error + Send + Sync>> {
    use http_body_util::Full;
    use hyper_util::rt::TokioIo;

    let stream = tokio::net::TcpStream::connect(api).await?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = hyper::Request::post("/2018-06-01/runtime/init/error")
        .header(hyper::header::HOST, api)
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header("Lambda-Runtime-Function-Error-Type", "InvalidConfiguration")
        .body(Full::new(bytes::Bytes::from(body)))?;
    let status = sender.send_request(request).await?.status();
    if !status.is_success() {
        return Err(format!("the Runtime API answered {status}").into());
    }
    Ok(())
}

/// Passes a value through, or logs the init error, reports it to the Lambda Runtime API's
/// `/init/error` (so the console and the invoke show the reason, not a bare exit code) and
/// returns it for `main` to end with.
pub async fn or_init_error<T, E>(result: Result<T, E>) -> Result<T, lambda_runtime::Error>
where
    E: Error + Send + Sync + 'static,
{
    let error = match result {
        Ok(value) => return Ok(value),
        Err(error) => error,
    };
    let message = error_chain(&error);
    tracing::error!(error = %message, "init failed");
    if let Ok(api) = std::env::var("AWS_LAMBDA_RUNTIME_API") {
        let body = serde_json::json!({ "errorType": "InvalidConfiguration", "errorMessage": message });
        match tokio::time::timeout(Duration::from_secs(2), post_init_error(&api, body.to_string())).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not report the init error to the Runtime API"),
            Err(_) => tracing::warn!("the Runtime API did not take the init error within 2 s"),
        }
    }
    Err(Box::new(error))
}

#[cfg(test)]
mod tests {
    use tracing::Level;

    use super::log_filter;

    #[test]
    fn the_log_level_takes_a_level_or_per_target_directives_and_falls_back_to_info() {
        let info = log_filter("INFO");
        assert!(info.would_enable("holiday_check", &Level::INFO));
        assert!(!info.would_enable("holiday_check", &Level::DEBUG));

        let warn = log_filter("warn");
        assert!(!warn.would_enable("holiday_check", &Level::INFO));
        assert!(warn.would_enable("holiday_check", &Level::WARN));

        let sdk_debug = log_filter("info,aws_smithy_runtime=debug");
        assert!(sdk_debug.would_enable("aws_smithy_runtime::client", &Level::DEBUG));
        assert!(!sdk_debug.would_enable("hyper", &Level::DEBUG));

        let sdk_only = log_filter("aws_smithy_runtime=debug");
        assert!(sdk_only.would_enable("aws_smithy_runtime", &Level::DEBUG));
        assert!(sdk_only.would_enable("holiday_check", &Level::INFO), "other targets stay at info");

        let typo = log_filter("inf0");
        assert!(typo.would_enable("holiday_check", &Level::INFO), "a typo keeps the logs at info");
        assert!(!typo.would_enable("holiday_check", &Level::DEBUG));
    }
}
