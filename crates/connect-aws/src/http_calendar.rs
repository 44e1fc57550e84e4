//! Calendar downloads over HTTP(S), with a timeout, a size cap and a few redirects.
//!
//! On the HTTP stack the SDK already links (hyper, hyper-rustls, rustls with aws-lc) and the
//! roots compiled in ([`crate::tls`]): a second client such as reqwest added its own TLS set-up
//! and a platform verifier to holiday-fetcher's package.

use std::time::Duration;

use bytes::Bytes;
use connect_core::ports::CalendarSource;
use http_body_util::{BodyExt, Empty};
use hyper::Uri;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Redirects followed before the download is refused (a feed moved to https, or to a CDN).
const MAX_REDIRECTS: usize = 5;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("GET {url} failed")]
    Request {
        url: String,
        #[source]
        source: BoxError,
    },
    #[error("GET {url} did not finish within {timeout:?}")]
    TimedOut { url: String, timeout: Duration },
    #[error("GET {url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("GET {url}: the body exceeds {max_bytes} bytes")]
    TooLarge { url: String, max_bytes: usize },
    #[error("GET {url}: more than {MAX_REDIRECTS} redirects, or a redirect without a usable Location")]
    Redirects { url: String },
}

#[derive(Debug, Clone)]
pub struct HttpCalendarSource {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
    timeout: Duration,
    max_bytes: usize,
}

impl HttpCalendarSource {
    pub fn new(timeout: Duration, max_bytes: usize) -> Result<Self, rustls::Error> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout.min(Duration::from_secs(5))));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(crate::tls::client_config()?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(https);
        Ok(HttpCalendarSource { client, timeout, max_bytes })
    }

    async fn download(&self, url: &str) -> Result<Vec<u8>, DownloadError> {
        let request_error = |source: BoxError| DownloadError::Request { url: url.to_owned(), source };
        let too_large = || DownloadError::TooLarge { url: url.to_owned(), max_bytes: self.max_bytes };
        let mut uri: Uri = url.parse().map_err(|e| request_error(Box::new(e)))?;
        for _ in 0..=MAX_REDIRECTS {
            let request = hyper::Request::get(&uri)
                .header(hyper::header::USER_AGENT, concat!("connect-lambdas/", env!("CARGO_PKG_VERSION")))
                .body(Empty::new())
                .map_err(|e| request_error(Box::new(e)))?;
            let response = self.client.request(request).await.map_err(|e| request_error(Box::new(e)))?;
            let status = response.status();
            if status.is_redirection() {
                let location = response.headers().get(hyper::header::LOCATION).and_then(|l| l.to_str().ok());
                uri = location
                    .and_then(|l| redirected(&uri, l))
                    .ok_or_else(|| DownloadError::Redirects { url: url.to_owned() })?;
                continue;
            }
            if !status.is_success() {
                return Err(DownloadError::Status { url: url.to_owned(), status: status.as_u16() });
            }
            let length = response.headers().get(hyper::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok());
            if length.and_then(|n| n.parse::<u64>().ok()).is_some_and(|n| n > self.max_bytes as u64) {
                return Err(too_large());
            }
            let mut body = response.into_body();
            let mut bytes = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| request_error(Box::new(e)))?;
                if let Some(chunk) = frame.data_ref() {
                    if bytes.len() + chunk.len() > self.max_bytes {
                        return Err(too_large());
                    }
                    bytes.extend_from_slice(chunk);
                }
            }
            return Ok(bytes);
        }
        Err(DownloadError::Redirects { url: url.to_owned() })
    }
}

/// Where a redirect's `Location` points: absolute, or a path on the same origin.
fn redirected(from: &Uri, location: &str) -> Option<Uri> {
    let to: Uri = location.parse().ok()?;
    if to.scheme().is_some() {
        return Some(to);
    }
    if !location.starts_with('/') || location.starts_with("//") {
        return None;
    }
    let mut parts = from.clone().into_parts();
    parts.path_and_query = to.path_and_query().cloned();
    Uri::from_parts(parts).ok()
}

impl CalendarSource for HttpCalendarSource {
    type Error = DownloadError;

    async fn fetch(&self, url: &str) -> Result<Vec<u8>, DownloadError> {
        match tokio::time::timeout(self.timeout, self.download(url)).await {
            Ok(result) => result,
            Err(_) => Err(DownloadError::TimedOut { url: url.to_owned(), timeout: self.timeout }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_go_to_absolute_urls_or_paths_of_the_same_origin() {
        let from: Uri = "http://calendars.test:8080/ja.ics?x=1".parse().unwrap();
        let to = |l: &str| redirected(&from, l).map(|u| u.to_string());
        assert_eq!(to("https://cdn.test/ja.ics").as_deref(), Some("https://cdn.test/ja.ics"));
        assert_eq!(to("/v2/ja.ics?y=2").as_deref(), Some("http://calendars.test:8080/v2/ja.ics?y=2"));
        assert_eq!(to("ja.ics"), None, "relative paths are not guessed");
        assert_eq!(to("//other.test/ja.ics"), None);
    }
}
