# connect-lambdas: `make demo` runs the holiday pipeline, returning-caller routing and an outbound campaign on emulated AWS; `make test` runs every test.
# Everything the project needs beyond Rust, Python 3 and Node is installed here, into the project.
# `make synth` synthesizes the CDK stack offline; `make deploy CONFIG=infra/config.json` builds the functions and deploys.

CARGO   ?= cargo
PYTHON  ?= python3
VENV    := .venv
# One build of the whole workspace with every target: building crate by crate (or `cargo run -p`)
# would resolve other feature sets and compile the AWS SDK crates again.
BUILD   := $(CARGO) build --workspace --all-targets --locked

SHELL   := bash
# The function `make profile` measures: FUNCTION=<function>, last-agent-lookup when unset.
PROFILE_OF = $(or $(FUNCTION),last-agent-lookup)
export MOTO_PYTHON := $(CURDIR)/$(VENV)/bin/python
export SMOKE_AWS_CLI := $(CURDIR)/.venv-smoke/bin/aws
export RUST_BACKTRACE ?= 0

# A deployment's settings: `make deploy CONFIG=infra/config.json` (a copy of
# infra/config.example.json; docs/deploy.md describes every key). Without CONFIG, INSTANCE_ARN and
# QUEUE_ARN name the instance and queue (`make synth` and the tests use stand-ins when unset).
# One-off changes: CDK_CONTEXT="-c key=value" (wins over the file).
SAMPLE_INSTANCE_ARN := arn:aws:connect:ap-northeast-1:123456789012:instance/11111111-2222-3333-4444-555555555555
CONFIG       ?=
INSTANCE_ARN ?=
QUEUE_ARN    ?=
CDK_CONTEXT  ?=
CDK          := cd infra && npx --no-install cdk
# What names the deployment: the config file, else the instance and queue.
TARGET = $(if $(CONFIG),-c config=$(abspath $(CONFIG)),-c connectInstanceArn=$(INSTANCE_ARN) -c queueArn=$(QUEUE_ARN))
# Offline synth needs no Rust build: without target/lambda, stand-in packages are used.
PLACEHOLDERS  = $(if $(wildcard target/lambda/holiday-check/bootstrap),,-c placeholderAssets=true)

.PHONY: demo test build venv venv-smoke lint fmt lambda lambda-deploy clean node infra-test synth deploy destroy smoke bench profile

demo: venv build
	./target/debug/demo

test: venv venv-smoke node build
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	set -o pipefail; $(CARGO) test --workspace --locked 2>&1 | tee target/test-output.log
	$(MAKE) --no-print-directory infra-test
	@awk '/^test result:/ {p += $$4; f += $$6} /^# pass / {p += $$3} /^# fail / {f += $$3} \
		END {printf "tests: %d passed, %d failed\n", p, f}' target/test-output.log target/infra-test-output.log

build:
	$(BUILD)

venv: $(VENV)/.installed

.venv-smoke/.installed: requirements-smoke.txt
	$(PYTHON) -m venv .venv-smoke
	.venv-smoke/bin/pip install --quiet --disable-pip-version-check -r requirements-smoke.txt
	touch $@

venv-smoke: .venv-smoke/.installed

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

lint:
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all

# Every function measured as Lambda runs it, beside an echo function (the floor), against the
# emulators with realistic data: release binaries for this machine, then a few minutes of runs.
# Prints the table and writes docs/benchmarks.md. Not part of `make test` (no timed tests).
bench: venv
	$(CARGO) build --release --workspace --bins --locked
	./target/release/bench

# Where one function's warm CPU goes, by crate (docs/cpu-profile.md): the release build with line
# tables (`profiling` profile), 4,000 warm calls under `perf record`, self time summed per crate.
# `make profile [FUNCTION=last-agent-lookup]`; needs Linux perf. Not part of `make test`.
profile: venv
	@command -v perf >/dev/null || { echo "make profile needs Linux perf (Debian: apt install linux-perf)"; exit 2; }
	$(CARGO) build --profile profiling --workspace --bins --locked
	mkdir -p target/profile
	perf record -F 4000 -o target/profile/$(PROFILE_OF).data -- \
		./target/profiling/bench --functions-dir target/profiling --only $(PROFILE_OF) --cold 1 --warm 4000 > /dev/null
	perf report -i target/profile/$(PROFILE_OF).data --comms $(shell printf %.15s $(PROFILE_OF)) \
		--percentage relative --no-children --sort dso,sym -g none --stdio 2>/dev/null | ./target/profiling/crate-profile

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

# One function with `cargo lambda deploy`, without the stack (docs/deploy.md: "Deploying one function
# with cargo lambda"): memory, timeout and description from infra/lib/functions.ts, the
# environment from events/<function>/lambda.env or ENV_FILE. Prints the command, then runs it
# unless DRY_RUN=1. Builds nothing: `make lambda` first.
lambda-deploy: node
	@test -n "$(FUNCTION)" -a -n "$(ROLE_ARN)" || { echo "make lambda-deploy FUNCTION=<function> ROLE_ARN=arn:aws:iam::<account>:role/<role> [REGION=<region>] [PROFILE=<profile>] [ENV_FILE=<file>] [DRY_RUN=1]"; exit 2; }
	@cd infra && PATH="$(CURDIR)/.venv-lambda/bin:$$PATH" npx --no-install ts-node --transpile-only bin/lambda-deploy.ts \
		--function '$(FUNCTION)' --role '$(ROLE_ARN)' $(if $(REGION),--region '$(REGION)') $(if $(PROFILE),--profile '$(PROFILE)') \
		$(if $(ENV_FILE),--env-file '$(abspath $(ENV_FILE))') $(if $(filter 1,$(DRY_RUN)),,--run)

# The CDK app's pinned packages (infra/package-lock.json).
node: infra/node_modules/.installed

infra/node_modules/.installed: infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Type check, CDK assertion and flow contract tests, an offline synth, and cfn-lint on the template.
infra-test: node venv
	cd infra && npx --no-install tsc --noEmit -p .
	mkdir -p target
	set -o pipefail; cd infra && node --test --test-reporter=tap -r ts-node/register/transpile-only \
		test/*.test.ts 2>&1 | tee ../target/infra-test-output.log | grep -E '^(not ok|# (pass|fail))'
	$(CDK) synth --quiet -c config=config.example.json -c placeholderAssets=true
	$(VENV)/bin/cfn-lint --ignore-checks W3005 -- infra/cdk.out/ConnectLambdas.template.json

synth: node
	$(CDK) synth --quiet $(if $(CONFIG),-c config=$(abspath $(CONFIG)),-c connectInstanceArn=$(or $(INSTANCE_ARN),$(SAMPLE_INSTANCE_ARN)) \
		-c queueArn=$(or $(QUEUE_ARN),$(SAMPLE_INSTANCE_ARN)/queue/66666666-7777-8888-9999-000000000000)) \
		$(PLACEHOLDERS) $(CDK_CONTEXT)
	@echo "template: infra/cdk.out/<stackName>.template.json"

deploy: node
	@test -n "$(CONFIG)" -o \( -n "$(INSTANCE_ARN)" -a -n "$(QUEUE_ARN)" \) || { echo "make deploy CONFIG=infra/config.json  (copy infra/config.example.json; docs/deploy.md)"; exit 2; }
	$(MAKE) --no-print-directory lambda
	$(CDK) deploy $(TARGET) $(CDK_CONTEXT)

# After a deploy: each function of the stack invoked once with its sample event through the AWS
# CLI, and what answered (docs/deploy.md, "Smoke test"). STACK=<name> [REGION=<region>] without CONFIG.
smoke: node venv-smoke
	@test -n "$(CONFIG)" -o -n "$(STACK)" || { echo "make smoke CONFIG=infra/config.json  (or STACK=<stack name> [REGION=<region>])"; exit 2; }
	cd infra && npx --no-install ts-node --transpile-only bin/smoke.ts $(if $(CONFIG),--config $(abspath $(CONFIG))) \
		$(if $(STACK),--stack $(STACK)) $(if $(REGION),--region $(REGION)) --aws $(SMOKE_AWS_CLI)

destroy: node
	@test -n "$(CONFIG)" -o \( -n "$(INSTANCE_ARN)" -a -n "$(QUEUE_ARN)" \) || { echo "make destroy CONFIG=infra/config.json"; exit 2; }
	$(CDK) destroy $(TARGET) $(CDK_CONTEXT)

clean:
	$(CARGO) clean
	rm -rf $(VENV) .venv-lambda .venv-smoke infra/node_modules infra/cdk.out
