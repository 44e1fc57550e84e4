//! The holiday list as one S3 object, read conditionally.

use aws_config::SdkConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;
use aws_sdk_s3::primitives::ByteStream;
use connect_core::ports::{HolidayStore, Stored};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
#[error("S3 {operation} s3://{bucket}/{key} failed")]
pub struct S3Error {
    pub operation: &'static str,
    pub bucket: String,
    pub key: String,
    #[source]
    pub source: BoxError,
}

/// An S3 client for this configuration; path-style addressing when an emulator serves S3
/// (emulators on loopback have no virtual-host buckets).
pub fn s3_client(conf: &SdkConfig, path_style: bool) -> Client {
    Client::from_conf(aws_sdk_s3::config::Builder::from(conf).force_path_style(path_style).build())
}

#[derive(Debug, Clone)]
pub struct S3HolidayStore {
    client: Client,
    bucket: String,
    key: String,
}

impl S3HolidayStore {
    pub fn new(client: Client, bucket: impl Into<String>, key: impl Into<String>) -> Self {
        S3HolidayStore { client, bucket: bucket.into(), key: key.into() }
    }

    pub fn from_conf(conf: &SdkConfig, path_style: bool, bucket: impl Into<String>, key: impl Into<String>) -> Self {
        Self::new(s3_client(conf, path_style), bucket, key)
    }

    fn error(&self, operation: &'static str, source: impl Into<BoxError>) -> S3Error {
        S3Error { operation, bucket: self.bucket.clone(), key: self.key.clone(), source: source.into() }
    }
}

impl HolidayStore for S3HolidayStore {
    type Error = S3Error;

    async fn load(&self, if_none_match: Option<&str>) -> Result<Stored, S3Error> {
        let request = self.client.get_object().bucket(&self.bucket).key(&self.key);
        let output = match request.set_if_none_match(if_none_match.map(str::to_owned)).send().await {
            Ok(output) => output,
            Err(error) => {
                // A 304 arrives as a service error without an error code: look at the status.
                let status = error.raw_response().map(|r| r.status().as_u16());
                let missing = matches!(&error, SdkError::ServiceError(e) if e.err().is_no_such_key());
                return match status {
                    Some(304) => Ok(Stored::NotModified),
                    Some(404) => Ok(Stored::Missing),
                    _ if missing => Ok(Stored::Missing),
                    _ => Err(self.error("GetObject", error)),
                };
            }
        };
        let etag = output.e_tag.clone();
        let body = output.body.collect().await.map_err(|e| self.error("GetObject (body)", e))?;
        Ok(Stored::Current { body: body.to_vec(), etag })
    }

    async fn save(&self, body: Vec<u8>) -> Result<(), S3Error> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(&self.key)
            .content_type("application/json")
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(|e| self.error("PutObject", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{http_response, interceptor, mocked_conf};
    use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
    use aws_sdk_s3::operation::put_object::PutObjectOutput;
    use aws_sdk_s3::types::error::NoSuchKey;
    use aws_smithy_mocks::{Rule, mock};
    use aws_smithy_types::error::ErrorMetadata;
    use connect_core::ports::error_chain;

    async fn store(rules: &[&Rule]) -> S3HolidayStore {
        let conf = mocked_conf(crate::CallProfile::ContactFlow).await;
        let client = Client::from_conf(
            aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).interceptor(interceptor(rules)).build(),
        );
        S3HolidayStore::new(client, "bucket", "holidays.json")
    }

    fn throttled() -> GetObjectError {
        GetObjectError::generic(
            ErrorMetadata::builder().code("SlowDown").message("Please reduce your request rate").build(),
        )
    }

    #[tokio::test]
    async fn reads_body_and_etag_and_sends_if_none_match() {
        let ok = mock!(Client::get_object)
            .match_requests(|r| r.if_none_match() == Some("\"v1\"") && r.key() == Some("holidays.json"))
            .then_output(|| GetObjectOutput::builder().e_tag("\"v2\"").body(ByteStream::from_static(b"{}")).build());
        let loaded = store(&[&ok]).await.load(Some("\"v1\"")).await.unwrap();
        assert_eq!(loaded, Stored::Current { body: b"{}".to_vec(), etag: Some("\"v2\"".into()) });
    }

    #[tokio::test]
    async fn not_modified_and_missing_are_answers_not_errors() {
        let not_modified = mock!(Client::get_object).then_http_response(|| http_response(304, ""));
        assert_eq!(store(&[&not_modified]).await.load(Some("\"v1\"")).await.unwrap(), Stored::NotModified);
        let missing = mock!(Client::get_object).then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().build()));
        assert_eq!(store(&[&missing]).await.load(None).await.unwrap(), Stored::Missing);
    }

    #[tokio::test]
    async fn throttling_is_retried_then_succeeds() {
        let slow_then_ok = mock!(Client::get_object)
            .sequence()
            .error(throttled)
            .output(|| GetObjectOutput::builder().body(ByteStream::from_static(b"[]")).build())
            .build();
        let loaded = store(&[&slow_then_ok]).await.load(None).await.unwrap();
        assert_eq!(loaded, Stored::Current { body: b"[]".to_vec(), etag: None });
        assert_eq!(slow_then_ok.num_calls(), 2);
    }

    #[tokio::test]
    async fn persistent_throttling_and_5xx_become_errors_after_the_retry_budget() {
        let slow = mock!(Client::get_object).sequence().error(throttled).times(2).build();
        let err = store(&[&slow]).await.load(None).await.unwrap_err();
        assert_eq!(slow.num_calls(), 2, "the contact-flow profile allows two attempts");
        assert!(error_chain(&err).contains("GetObject s3://bucket/holidays.json"), "{}", error_chain(&err));

        let broken = mock!(Client::get_object).sequence().http_response(|| http_response(503, "")).times(2).build();
        let err = store(&[&broken]).await.load(None).await.unwrap_err();
        assert_eq!(broken.num_calls(), 2);
        assert_eq!(err.operation, "GetObject");
    }

    #[tokio::test]
    async fn access_denied_is_not_retried() {
        let denied = mock!(Client::put_object).then_http_response(|| {
            http_response(403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>")
        });
        let never = mock!(Client::put_object).then_output(|| PutObjectOutput::builder().build());
        let err = store(&[&denied, &never]).await.save(b"{}".to_vec()).await.unwrap_err();
        assert_eq!((denied.num_calls(), never.num_calls()), (1, 0));
        assert!(error_chain(&err).contains("AccessDenied"), "{}", error_chain(&err));
    }
}
