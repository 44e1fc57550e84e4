//! Notices to an SNS topic; without a topic they are only logged.

use aws_sdk_sns::Client;
use connect_core::ports::Notifier;

#[derive(Debug, thiserror::Error)]
#[error("SNS Publish to {topic_arn} failed")]
pub struct SnsError {
    pub topic_arn: String,
    #[source]
    pub source: aws_sdk_sns::error::SdkError<aws_sdk_sns::operation::publish::PublishError>,
}

#[derive(Debug, Clone)]
pub struct SnsNotifier {
    client: Client,
    topic_arn: Option<String>,
}

/// SNS subjects are ASCII-safe text under 100 characters, on one line.
const MAX_SUBJECT: usize = 99;

impl SnsNotifier {
    pub fn new(client: Client, topic_arn: Option<String>) -> Self {
        SnsNotifier { client, topic_arn }
    }

    pub fn from_conf(conf: &aws_config::SdkConfig, topic_arn: Option<String>) -> Self {
        Self::new(Client::new(conf), topic_arn)
    }
}

impl Notifier for SnsNotifier {
    type Error = SnsError;

    async fn notify(&self, subject: &str, message: &str) -> Result<(), SnsError> {
        let Some(topic_arn) = &self.topic_arn else {
            tracing::info!(subject, "no ALERT_TOPIC_ARN: notice logged only");
            return Ok(());
        };
        let subject: String =
            subject.chars().map(|c| if c.is_ascii_graphic() { c } else { ' ' }).take(MAX_SUBJECT).collect();
        self.client
            .publish()
            .topic_arn(topic_arn)
            .subject(subject.trim())
            .message(message)
            .send()
            .await
            .map_err(|source| SnsError { topic_arn: topic_arn.clone(), source })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::mocked_client;
    use aws_sdk_sns::operation::publish::{PublishError, PublishOutput};
    use aws_smithy_mocks::{Rule, mock};
    use aws_smithy_types::error::ErrorMetadata;

    async fn client(profile: crate::CallProfile, rules: &[&Rule]) -> Client {
        mocked_client!(aws_sdk_sns, profile, rules)
    }

    #[tokio::test]
    async fn publishes_with_a_one_line_ascii_subject() {
        let ok = mock!(Client::publish)
            .match_requests(|r| r.subject() == Some("holidays  updated") && r.message() == Some("本文"))
            .then_output(|| PublishOutput::builder().message_id("m-1").build());
        let client = client(crate::CallProfile::Background, &[&ok]).await;
        let notifier = SnsNotifier::new(client, Some("arn:aws:sns:us-east-1:1:t".into()));
        notifier.notify("holidays\n updated", "本文").await.unwrap();
        assert_eq!(ok.num_calls(), 1);
    }

    #[tokio::test]
    async fn without_a_topic_nothing_is_sent() {
        let never = mock!(Client::publish).then_output(|| PublishOutput::builder().build());
        let client = client(crate::CallProfile::Background, &[&never]).await;
        SnsNotifier::new(client, None).notify("s", "m").await.unwrap();
        assert_eq!(never.num_calls(), 0);
    }

    #[tokio::test]
    async fn throttling_that_outlasts_retries_is_an_error_naming_the_topic() {
        let throttled = mock!(Client::publish)
            .sequence()
            .error(|| PublishError::generic(ErrorMetadata::builder().code("Throttling").build()))
            .times(2)
            .build();
        let client = client(crate::CallProfile::ContactFlow, &[&throttled]).await;
        let err = SnsNotifier::new(client, Some("arn:t".into())).notify("s", "m").await.unwrap_err();
        assert_eq!(throttled.num_calls(), 2);
        assert!(err.to_string().contains("arn:t"));
    }
}
