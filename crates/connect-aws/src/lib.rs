//! Adapters from `connect-core`'s ports to AWS (S3, SNS, DynamoDB, Connect) and HTTP, typed
//! configuration, and the bootstrap every function's `main` uses.

pub mod bootstrap;
pub mod campaign_table;
pub mod campaigns_v2;
pub mod clock;
pub mod config;
pub mod connect;
pub mod do_not_call;
pub mod dynamodb;
pub mod hours;
pub mod http_calendar;
pub mod metrics;
pub mod outbound;
pub mod pacing;
pub mod s3;
pub mod settings;
pub mod sns;
pub mod tls;

pub use bootstrap::{
    ANSWER_WITHIN, CallProfile, init_tracing, load_aws_config, or_init_error, random_index, time_left,
};
pub use clock::SystemClock;
pub use config::{ConfigError, Env};

#[cfg(test)]
mod test_support;
