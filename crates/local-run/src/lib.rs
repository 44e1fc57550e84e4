//! Runs the suite on this machine, for `make demo`, the integration tests and the benchmark:
//! moto (S3, SNS, SQS, DynamoDB) as a child process, loopback HTTP stubs, and a Lambda Runtime
//! API driver that runs the real function binaries the way Lambda does.
//!
//! Every server listens on 127.0.0.1 on a free port, and every process and server started here
//! is stopped when its handle is dropped (also when a test fails).

pub mod aws;
pub mod bench;
pub mod campaign;
pub mod campaigns_emulator;
pub mod connect_emulator;
pub mod counting_proxy;
pub mod cpu;
pub mod crate_profile;
pub mod emf;
pub mod engine_bench;
pub mod holidays;
pub mod lambda_api;
pub mod moto;
pub mod paths;
pub mod routing;
pub mod runtime_api;
pub mod server;
pub mod smoke;
pub mod stub;

pub use aws::{Notice, NoticeInbox, emulator_env, sdk_config};
pub use moto::Moto;
pub use paths::{function_binary, venv_python, workspace_root};
pub use runtime_api::{FunctionOptions, LambdaProcess, Outcome};
pub use stub::{SilentServer, StubResponse, StubServer};
