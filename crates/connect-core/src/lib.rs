//! Pure domain of the connect-lambdas suite.
//!
//! Nothing here performs I/O, reads the environment or the clock: time comes in as values
//! (or through [`ports::Clock`]), and every outside service is reached through a narrow trait
//! in [`ports`] that `connect-aws` implements.

pub mod agents;
pub mod assignments;
pub mod calendar;
pub mod calling_hours;
pub mod campaign;
pub mod closed_window;
pub mod closures;
pub mod connect;
pub mod contact_events;
pub mod holidays;
pub mod metrics;
pub mod overrides;
pub mod phone;
pub mod ports;
pub mod restricted_periods;
pub mod sites;
