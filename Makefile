# connect-lambdas: `make demo` runs the holiday pipeline, returning-caller routing and an outbound campaign on emulated AWS; `make test` runs every test.
# Everything the project needs beyond Rust, Python 3 and Node is installed here, into the project.

CARGO   ?= cargo
PYTHON  ?= python3
VENV    := .venv
# One build of the whole workspace with every target: building crate by crate (or `cargo run -p`)
# would resolve other feature sets and compile the AWS SDK crates again.
BUILD   := $(CARGO) build --workspace --all-targets --locked

SHELL   := bash
export MOTO_PYTHON := $(CURDIR)/$(VENV)/bin/python
export RUST_BACKTRACE ?= 0

.PHONY: demo test build venv lint fmt lambda clean

demo: venv build
	./target/debug/demo

test: venv build
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	set -o pipefail; $(CARGO) test --workspace --locked 2>&1 | tee target/test-output.log
	@awk '/^test result:/ {p += $$4; f += $$6} END {printf "tests: %d passed, %d failed\n", p, f}' target/test-output.log

build:
	$(BUILD)

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

# Release binaries for Lambda (arm64, provided.al2023) into target/lambda/<function>/bootstrap.
# cargo-lambda (and the zig linker it brings, about 400 MB) goes into its own venv.
lambda: .venv-lambda/.installed
	PATH="$(CURDIR)/.venv-lambda/bin:$$PATH" cargo lambda build --release --arm64 --locked \
		--bin holiday-fetcher --bin holiday-check \
		--bin last-agent-lookup --bin agent-picker --bin assignment-recorder \
		--bin ivr-choice-recorder --bin campaign-dialer

.venv-lambda/.installed: requirements-lambda.txt
	$(PYTHON) -m venv .venv-lambda
	.venv-lambda/bin/pip install --quiet --disable-pip-version-check -r requirements-lambda.txt
	touch $@

clean:
	$(CARGO) clean
	rm -rf $(VENV) .venv-lambda
