//! Calendar downloads over HTTP(S), with a timeout and a size cap.

use std::time::Duration;

use connect_core::ports::CalendarSource;

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("GET {url} failed")]
    Request {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("GET {url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("GET {url}: the body exceeds {max_bytes} bytes")]
    TooLarge { url: String, max_bytes: usize },
}

#[derive(Debug, Clone)]
pub struct HttpCalendarSource {
    client: reqwest::Client,
    max_bytes: usize,
}

impl HttpCalendarSource {
    pub fn new(timeout: Duration, max_bytes: usize) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("connect-lambdas/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(HttpCalendarSource { client, max_bytes })
    }
}

impl CalendarSource for HttpCalendarSource {
    type Error = DownloadError;

    async fn fetch(&self, url: &str) -> Result<Vec<u8>, DownloadError> {
        let request_error = |source| DownloadError::Request { url: url.to_owned(), source };
        let too_large = || DownloadError::TooLarge { url: url.to_owned(), max_bytes: self.max_bytes };
        let mut response = self.client.get(url).send().await.map_err(request_error)?;
        let status = response.status();
        if !status.is_success() {
            return Err(DownloadError::Status { url: url.to_owned(), status: status.as_u16() });
        }
        if response.content_length().is_some_and(|n| n > self.max_bytes as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(request_error)? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}
