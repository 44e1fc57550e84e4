//! The part of AWS Lambda's own API that `aws lambda invoke` calls, on loopback, in front of
//! function binaries run through the Runtime API driver ([`LambdaProcess`]): so a tool that
//! invokes deployed functions (`make smoke`, through the AWS CLI) can be run against emulated AWS.
//!
//! `POST /2015-03-31/functions/{FunctionName}/invocations` with the event as the body answers
//! 200 and the function's response as the body, as Lambda does for a synchronous
//! (`RequestResponse`) invocation; a function error is still 200, with the
//! `X-Amz-Function-Error: Unhandled` header and `{"errorType", "errorMessage"}` as the body. An
//! unknown function is 404 `ResourceNotFoundException`. Requests are not signature-checked.

use std::collections::HashMap;
use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::Request;
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::runtime_api::{LambdaProcess, Outcome};
use crate::server::{HttpResponse, LoopbackServer, response};

type Functions = Arc<HashMap<String, Mutex<LambdaProcess>>>;

/// Serves the invoke API for `functions` (by function name) until dropped.
pub struct LambdaApi {
    server: LoopbackServer,
    functions: Functions,
}

impl LambdaApi {
    pub async fn start(functions: HashMap<String, LambdaProcess>) -> std::io::Result<Self> {
        let functions: Functions = Arc::new(functions.into_iter().map(|(name, f)| (name, Mutex::new(f))).collect());
        let served = functions.clone();
        let server = LoopbackServer::start(move |request| handle(request, served.clone())).await?;
        Ok(LambdaApi { server, functions })
    }

    /// The endpoint to give the AWS CLI (`--endpoint-url`) or `AWS_ENDPOINT_URL_LAMBDA`.
    pub fn endpoint(&self) -> String {
        self.server.url()
    }

    /// Every log line a function has written so far.
    pub async fn logs(&self, name: &str) -> Vec<String> {
        match self.functions.get(name) {
            Some(function) => function.lock().await.logs(),
            None => Vec::new(),
        }
    }

    /// Invocations a function has answered so far.
    pub async fn invocations(&self, name: &str) -> usize {
        match self.functions.get(name) {
            Some(function) => function.lock().await.invocations(),
            None => 0,
        }
    }
}

fn json_response(status: u16, body: &Value) -> HttpResponse {
    let mut answer = response(status, body.to_string());
    answer.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    answer
}

fn lambda_error(status: u16, code: &'static str, message: String) -> HttpResponse {
    let mut answer = json_response(status, &json!({ "Type": "User", "message": message }));
    answer.headers_mut().insert(HeaderName::from_static("x-amzn-errortype"), HeaderValue::from_static(code));
    answer
}

/// The function name of an invoke path: `/2015-03-31/functions/{FunctionName}/invocations`,
/// where the name may also be an ARN (percent-encoded).
fn function_name(path: &str) -> Option<String> {
    let name = path.strip_prefix("/2015-03-31/functions/")?.strip_suffix("/invocations")?;
    let decoded = name.replace("%3A", ":").replace("%3a", ":");
    Some(decoded.rsplit(':').next().unwrap_or(&decoded).to_owned())
}

async fn handle(request: Request<Incoming>, functions: Functions) -> HttpResponse {
    let path = request.uri().path().to_owned();
    let Some(name) = function_name(&path).filter(|_| request.method() == hyper::Method::POST) else {
        return lambda_error(404, "UnknownOperationException", format!("not an invoke request: {path}"));
    };
    let Some(function) = functions.get(&name) else {
        return lambda_error(404, "ResourceNotFoundException", format!("Function not found: {name}"));
    };
    let body = request.into_body().collect().await.map(|c| c.to_bytes()).unwrap_or_default();
    let event: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(event) => event,
            Err(e) => {
                return lambda_error(
                    400,
                    "InvalidRequestContentException",
                    format!("Could not parse request body into json: {e}"),
                );
            }
        }
    };
    let outcome = function.lock().await.invoke(&event).await;
    match outcome {
        Ok(Outcome::Response(answer)) => json_response(200, &answer),
        Ok(Outcome::Error { error_type, error_message }) => {
            let mut answer = json_response(200, &json!({ "errorType": error_type, "errorMessage": error_message }));
            answer
                .headers_mut()
                .insert(HeaderName::from_static("x-amz-function-error"), HeaderValue::from_static("Unhandled"));
            answer
        }
        Err(e) => lambda_error(502, "ServiceException", format!("{name} did not answer: {e:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::function_name;

    #[test]
    fn invoke_paths_name_the_function_by_name_or_arn() {
        assert_eq!(function_name("/2015-03-31/functions/holiday-check/invocations").as_deref(), Some("holiday-check"));
        let arn =
            "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aap-northeast-1%3A1%3Afunction%3Aholiday-check/invocations";
        assert_eq!(function_name(arn).as_deref(), Some("holiday-check"));
        assert_eq!(function_name("/2015-03-31/functions/x"), None);
    }
}
