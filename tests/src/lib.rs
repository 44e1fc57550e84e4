//! Black-box integration tests live in `tests/`; they drive the real function binaries and
//! SDK clients against emulators on loopback (see `local-run`).
