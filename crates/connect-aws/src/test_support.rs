//! SDK configuration for `aws-smithy-mocks` tests: the production timeouts and retries, a
//! mocked HTTP layer, fixed region and credentials.

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_s3::config::Credentials;
use aws_smithy_mocks::{MockResponseInterceptor, Rule, RuleMode, create_mock_http_client};
use aws_smithy_runtime_api::http::{Response, StatusCode};
use aws_smithy_types::body::SdkBody;

use crate::CallProfile;

pub(crate) async fn mocked_conf(profile: CallProfile) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("test", "test", None, None, "test"))
        .timeout_config(profile.timeouts())
        .retry_config(profile.retries())
        .http_client(create_mock_http_client())
        .load()
        .await
}

/// Interceptors live on service clients (SdkConfig cannot carry them).
pub(crate) fn interceptor(rules: &[&Rule]) -> MockResponseInterceptor {
    rules.iter().fold(MockResponseInterceptor::new().rule_mode(RuleMode::Sequential), |i, r| i.with_rule(r))
}

pub(crate) fn http_response(status: u16, body: &'static str) -> Response {
    Response::new(StatusCode::try_from(status).unwrap_or_else(|_| unreachable!()), SdkBody::from(body))
}

/// A service client whose HTTP layer answers from `rules`, with `profile`'s timeouts and
/// retries: `mocked_client!(aws_sdk_dynamodb, CallProfile::ContactFlow, rules)`.
macro_rules! mocked_client {
    ($sdk:ident, $profile:expr, $rules:expr) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from(&crate::test_support::mocked_conf($profile).await)
                .interceptor(crate::test_support::interceptor($rules))
                .build(),
        )
    };
}
pub(crate) use mocked_client;
