//! bench-floor: the least a Rust Lambda function can be (the runtime, one echo), measured beside
//! the suite's functions by `make bench` so every figure has a floor to be compared with.

use lambda_runtime::{LambdaEvent, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| async move {
        Ok::<_, std::convert::Infallible>(event.payload)
    }))
    .await
}
