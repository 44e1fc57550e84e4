//! `make bench`: every function run as Lambda runs it (the project's Runtime API driver) against
//! the emulators with realistic data, beside a floor (`bench-floor`, an echo) measured in the
//! same run. Init, first call, warm latency, requests per warm call, peak RSS and sizes.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use chrono::{TimeDelta, Utc};
use connect_aws::dynamodb::assignment_item;
use connect_core::assignments::Assignment;
use connect_core::phone::CallerNumber;
use serde_json::{Value, json};

use crate::aws::{create_customers_table, sdk_config};
use crate::campaign::{CAMPAIGN, CUSTOMERS_TABLE, OUTBOUND_FLOW, OUTBOUND_QUEUE, answer_event};
use crate::connect_emulator::quotas::default_quota;
use crate::connect_emulator::{Agent, AgentStatus, ConnectEmulator, INSTANCE_ID, OutboundCall};
use crate::counting_proxy::CountingProxy;
use crate::holidays::{BUCKET, CALENDAR_PATH, create_bucket_and_topic, sample_calendar};
use crate::routing::{ROUTING_PROFILE, TABLE as ASSIGNMENTS_TABLE, contact_event, create_assignments_table};
use crate::runtime_api::{FunctionOptions, LambdaProcess};
use crate::stub::{StubResponse, StubServer};
use crate::{Moto, workspace_root};

pub const FLOOR: &str = "bench-floor";

/// Warm calls are measured for CPU in this many blocks of consecutive calls (`Measurement::warm_cpu`).
pub const CPU_BLOCKS: usize = 10;

/// Calls per block of `CPU_BLOCKS`, for `warm_invocations` warm calls.
fn cpu_block_len(warm_invocations: usize) -> usize {
    (warm_invocations / CPU_BLOCKS).max(1)
}

/// Every function of the suite, then the floor.
pub const ALL: [&str; 8] = [
    FLOOR,
    "holiday-fetcher",
    "holiday-check",
    "last-agent-lookup",
    "agent-picker",
    "assignment-recorder",
    "ivr-choice-recorder",
    "campaign-dialer",
];

#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Where the function binaries are (`target/release` for `make bench`).
    pub functions_dir: PathBuf,
    pub functions: Vec<String>,
    pub cold_starts: usize,
    pub warm_invocations: usize,
    /// Assignments in the table (10,000 for `make bench`).
    pub assignments: usize,
    /// Agents in the Connect emulator (200 for `make bench`).
    pub agents: usize,
    /// Customers in the campaign table.
    pub customers: usize,
    /// Direct calls per emulator operation for its own answer time.
    pub emulator_samples: usize,
    /// Zip each binary for its deployment size (slow for debug binaries).
    pub zip: bool,
}

impl BenchOptions {
    pub fn full(functions_dir: PathBuf) -> Self {
        BenchOptions {
            functions_dir,
            functions: ALL.iter().map(|f| (*f).to_owned()).collect(),
            cold_starts: 20,
            warm_invocations: 1_000,
            assignments: 10_000,
            agents: 200,
            customers: 1_000,
            emulator_samples: 50,
            zip: true,
        }
    }
}

/// What was measured for one function.
#[derive(Debug, Clone, Default)]
pub struct Measurement {
    pub function: String,
    pub init: Vec<Duration>,
    pub first_call: Vec<Duration>,
    pub warm: Vec<Duration>,
    /// Requests per warm invocation by `service:operation` (moto through the counting proxy,
    /// `connect:<Operation>` from the Connect emulator, `http:calendar` from the calendar site).
    pub requests_per_warm: BTreeMap<String, f64>,
    pub peak_rss_kb: u64,
    pub binary_bytes: u64,
    pub zip_bytes: u64,
    /// CPU of the process from spawn to its first `/next`, per cold start.
    pub init_cpu: Vec<Duration>,
    /// CPU per warm call: the median of `CPU_BLOCKS` blocks of consecutive warm calls, so a
    /// burst of interference from outside (another tenant of the machine) moves one block, not
    /// the figure; over every warm call when no block could be read.
    pub warm_cpu: Duration,
    /// CPU per warm call of each block, in the order run.
    pub warm_cpu_blocks: Vec<Duration>,
    /// CPU per warm call over all of them (the mean, what a million calls cost), by `schedstat`
    /// when no thread ended during them, else by `/proc/<pid>/stat`'s clock ticks.
    pub warm_cpu_mean: Duration,
    /// TCP connections the function opened to the emulators during the warm calls (0 when it
    /// keeps them alive, as it would with AWS endpoints).
    pub warm_connections: usize,
}

/// Making a function's warm call's requests directly, through the same adapters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Direct {
    /// p50 of the wall time.
    pub wall: Duration,
    /// CPU per call of the thread that made them (its own runtime: the SDK's connection tasks too).
    pub cpu: Duration,
}

/// Per function.
pub type DirectTimes = BTreeMap<String, Direct>;

pub struct Report {
    pub measurements: Vec<Measurement>,
    pub direct: DirectTimes,
    pub options: BenchOptions,
    /// The campaign engines side by side, when campaign-dialer is measured.
    pub engines: Vec<crate::engine_bench::EngineRun>,
}

/// Customers in the campaign engines' comparison.
pub const ENGINE_CUSTOMERS: usize = 100;

/// The percentile `p` (0 to 100) of `samples`, nearest rank.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The emulated world every function runs in, with realistic data.
struct World {
    _moto: Moto,
    proxy: CountingProxy,
    connect: ConnectEmulator,
    calendars: StubServer,
    conf: SdkConfig,
    topic_arn: String,
    agents: Vec<String>,
    callers: Vec<String>,
    /// CONNECTED_TO_AGENT events of answered calls, from the emulator's contact life: what
    /// assignment-recorder is sent (EventBridge), one contact per event.
    answered: Vec<Value>,
}

fn caller(i: usize) -> String {
    format!("+8190{:08}", i)
}

impl World {
    async fn start(options: &BenchOptions) -> anyhow::Result<World> {
        let moto = Moto::start().await?;
        let proxy = CountingProxy::start(moto.endpoint()).await?;
        // Set-up goes to moto directly, so only the functions' requests are counted.
        let conf = sdk_config(moto.endpoint()).await;
        let topic_arn = create_bucket_and_topic(&conf).await?;
        create_assignments_table(&conf).await?;
        create_customers_table(&conf, CUSTOMERS_TABLE).await?;
        let calendars = StubServer::start().await?;
        calendars.set(CALENDAR_PATH, StubResponse::ok(sample_calendar()?));
        let connect = ConnectEmulator::start().await?;
        // The bench measures speed: a throttled request would be a retry, not the function's cost.
        // What Connect's quotas allow is reported beside it, from the requests per call.
        connect.set_quotas_enabled(false);
        let agents: Vec<String> = (0..options.agents).map(|i| format!("agent-{i:03}")).collect();
        for (i, id) in agents.iter().enumerate() {
            let status = AgentStatus::available(1_700_000_000.0 + i as f64);
            connect.add_agent(Agent::new(id.clone(), format!("{id}@example.com"), ROUTING_PROFILE, status));
        }
        let callers: Vec<String> = (0..options.assignments.max(1)).map(caller).collect();
        // One answered call per event the recorder will be sent (cold starts, warm-up, warm).
        let calls = options.cold_starts.max(1) + options.warm_invocations + 2;
        for n in 0..calls {
            let id = connect.start_inbound_call(Some(&callers[n % callers.len()]));
            connect.queue_contact(&id, "q-support");
            connect.connect_contact(&id, &agents[n % agents.len().max(1)]);
        }
        let answered: Vec<Value> =
            connect.contact_events().into_iter().filter(|e| e["detail"]["eventType"] == "CONNECTED_TO_AGENT").collect();
        let world = World { _moto: moto, proxy, connect, calendars, conf, topic_arn, agents, callers, answered };
        world.seed(options).await?;
        Ok(world)
    }

    /// Assignments (callers to agents, made over the last 30 days) and campaign customers
    /// (already answered, so the dialer finds nothing pending), in batches of 25.
    async fn seed(&self, options: &BenchOptions) -> anyhow::Result<()> {
        let now = Utc::now();
        let mut assignments = Vec::new();
        for (i, number) in self.callers.iter().enumerate().take(options.assignments) {
            let caller = CallerNumber::parse(number).context("seed number")?;
            let agent = self.agents[i % self.agents.len().max(1)].clone();
            let at = now - TimeDelta::minutes((i % 43_200) as i64);
            let assignment = Assignment::new(caller, agent, String::new(), format!("seed-{i}"), at, 90);
            assignments.push(assignment_item(&assignment));
        }
        self.batch_write(ASSIGNMENTS_TABLE, assignments).await?;
        let customers = (0..options.customers)
            .map(|i| {
                std::collections::HashMap::from([
                    ("phoneNumber".to_owned(), AttributeValue::S(format!("+8180{i:08}"))),
                    ("name".to_owned(), AttributeValue::S(format!("Customer {i}"))),
                    (CAMPAIGN.to_owned(), AttributeValue::N("2".to_owned())),
                ])
            })
            .collect();
        self.batch_write(CUSTOMERS_TABLE, customers).await
    }

    async fn batch_write(
        &self,
        table: &str,
        items: Vec<std::collections::HashMap<String, AttributeValue>>,
    ) -> anyhow::Result<()> {
        let dynamodb = aws_sdk_dynamodb::Client::new(&self.conf);
        for chunk in items.chunks(25) {
            let writes = chunk
                .iter()
                .map(|item| {
                    Ok(WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(item.clone())).build()?)
                        .build())
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let written = dynamodb.batch_write_item().request_items(table, writes).send().await?;
            if written.unprocessed_items().is_some_and(|u| !u.is_empty()) {
                bail!("moto left items of {table} unprocessed");
            }
        }
        Ok(())
    }

    /// Everything every function needs; each reads what it uses.
    fn env(&self, function: &str) -> Vec<(String, String)> {
        let mut env = self.connect.function_env(&self.proxy.endpoint());
        let mut own = |name: &str, value: String| env.push((name.to_owned(), value));
        // Where TLS roots are read from at init (set it to compare with the platform default,
        // which reads the bundle and then every file of the certificate directory).
        for name in ["SSL_CERT_FILE", "SSL_CERT_DIR"] {
            if let Ok(value) = std::env::var(name) {
                own(name, value);
            }
        }
        match function {
            "holiday-fetcher" | "holiday-check" => {
                own("HOLIDAY_BUCKET", BUCKET.to_owned());
                own("ALERT_TOPIC_ARN", self.topic_arn.clone());
                own("CALENDAR_URLS", self.calendars.url(CALENDAR_PATH));
            }
            "last-agent-lookup" | "agent-picker" => {
                own("ASSIGNMENTS_TABLE", ASSIGNMENTS_TABLE.to_owned());
                own("ROUTING_PROFILE_IDS", ROUTING_PROFILE.to_owned());
            }
            "assignment-recorder" => own("ASSIGNMENTS_TABLE", ASSIGNMENTS_TABLE.to_owned()),
            "ivr-choice-recorder" | "campaign-dialer" => {
                own("CUSTOMERS_TABLE", CUSTOMERS_TABLE.to_owned());
                own("CAMPAIGN", CAMPAIGN.to_owned());
                own("CONTACT_FLOW_ID", OUTBOUND_FLOW.to_owned());
                own("QUEUE_ID", OUTBOUND_QUEUE.to_owned());
                // the dialer's run reads the holiday list, then the to-call index (empty here)
                own("HOLIDAY_BUCKET", BUCKET.to_owned());
                own("CALLING_HOURS", "Mon-Sun 00:00-24:00".to_owned());
            }
            _ => {}
        }
        env
    }

    /// The `n`-th event a function is sent: realistic and different each time where it matters
    /// (a new contact, another remembered caller).
    fn event(&self, function: &str, n: usize) -> Value {
        let number = &self.callers[n % self.callers.len()];
        let agent = &self.agents[n % self.agents.len().max(1)];
        let contact = format!("bench-{n}");
        match function {
            "holiday-fetcher" | "campaign-dialer" => {
                json!({"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}})
            }
            "holiday-check" => contact_event(&contact, Some(number), json!({"date": "2026-11-23"})),
            "last-agent-lookup" => contact_event(&contact, Some(number), json!({})),
            "agent-picker" => contact_event(&contact, Some(number), json!({"tried": agent})),
            "assignment-recorder" => self.answered[n % self.answered.len().max(1)].clone(),
            "ivr-choice-recorder" => {
                let call = OutboundCall {
                    contact_id: contact,
                    instance_id: String::new(),
                    destination: format!("+8180{:08}", n % 1_000),
                    contact_flow_id: OUTBOUND_FLOW.to_owned(),
                    queue_id: Some(OUTBOUND_QUEUE.to_owned()),
                    source_phone_number: None,
                    client_token: None,
                    attributes: std::collections::HashMap::from([("campaign".to_owned(), CAMPAIGN.to_owned())]),
                };
                answer_event(&call, "2")
            }
            _ => contact_event(&contact, Some(number), json!({})),
        }
    }

    /// Connections opened to any emulator so far.
    fn connections(&self) -> usize {
        self.proxy.connections() + self.connect.connections() + self.calendars.connections()
    }

    /// All requests so far, by `service:operation`, from every emulator.
    fn requests(&self) -> BTreeMap<String, usize> {
        let mut counts = self.proxy.counts();
        for operation in crate::connect_emulator::OPERATIONS {
            let n = self.connect.requests(operation);
            if n > 0 {
                counts.insert(format!("connect:{operation}"), n);
            }
        }
        counts.insert("http:calendar".to_owned(), self.calendars.hits(CALENDAR_PATH));
        counts.retain(|_, n| *n > 0);
        counts
    }

    async fn spawn(&self, binary: &Path, function: &str) -> anyhow::Result<LambdaProcess> {
        let timeout = if function == "holiday-fetcher" || function == "campaign-dialer" { 60 } else { 3 };
        let options = FunctionOptions {
            timeout: Duration::from_secs(timeout),
            ..FunctionOptions::new(function, self.env(function))
        };
        LambdaProcess::spawn(binary, options).await
    }

    fn direct_plan(&self) -> DirectPlan {
        DirectPlan {
            moto: self.proxy.endpoint(),
            connect: self.connect.endpoint(),
            calendar_url: self.calendars.url(CALENDAR_PATH),
            agents: self.agents.clone(),
            callers: self.callers.clone(),
            answered: self.answered.clone(),
        }
    }
}

/// What the direct requests need of the world, to make them on a thread of their own.
#[derive(Clone)]
struct DirectPlan {
    moto: String,
    connect: String,
    calendar_url: String,
    agents: Vec<String>,
    callers: Vec<String>,
    answered: Vec<Value>,
}

impl DirectPlan {
    /// Runs the requests on a thread of their own with its own runtime, so that the thread's CPU
    /// is theirs alone (the emulators run on the bench's other threads).
    async fn measure(self, samples: usize) -> anyhow::Result<DirectTimes> {
        tokio::task::spawn_blocking(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(self.direct_times(samples))
        })
        .await?
    }

    /// What each function's warm call asks of the emulators, made directly from this process
    /// through the same adapters (same requests, same shapes): its p50 per function.
    async fn direct_times(&self, samples: usize) -> anyhow::Result<DirectTimes> {
        use connect_aws::campaign_table::DynamoCampaignTable;
        use connect_aws::connect::{AgentScope, ConnectAgentDirectory};
        use connect_aws::dynamodb::DynamoAssignmentStore;
        use connect_aws::http_calendar::HttpCalendarSource;
        use connect_aws::s3::S3HolidayStore;
        use connect_core::campaign::{Campaign, Choice, RowStatus};
        use connect_core::ports::{
            AgentDirectory, AssignmentStore, CalendarSource, CampaignTable, ContactDetails, HolidayStore,
        };

        let conf = sdk_config(&self.moto).await;
        let connect_conf = sdk_config(&self.connect).await;
        let store = DynamoAssignmentStore::from_conf(&conf, ASSIGNMENTS_TABLE);
        let customers = DynamoCampaignTable::from_conf(&conf, CUSTOMERS_TABLE);
        let holidays = S3HolidayStore::from_conf(&conf, true, BUCKET, crate::holidays::KEY);
        let calendars = HttpCalendarSource::new(Duration::from_secs(15), 5 * 1024 * 1024)?;
        let scope = AgentScope::RoutingProfiles(vec![ROUTING_PROFILE.to_owned()]);
        let directory = ConnectAgentDirectory::from_conf(&connect_conf, INSTANCE_ID, scope, Duration::from_secs(300));
        directory.warm_up().await;
        let contacts = connect_aws::connect::ConnectContactDetails::from_conf(&connect_conf);
        let campaign = Campaign::parse(CAMPAIGN)?;
        let calendar_url = self.calendar_url.clone();
        let number = |n: usize| CallerNumber::parse(&self.callers[n % self.callers.len()]).context("bench number");
        let agent = |n: usize| self.agents[n % self.agents.len().max(1)].clone();

        let mut times = DirectTimes::new();
        for function in ALL {
            let mut taken = Vec::with_capacity(samples);
            let cpu_before = crate::cpu::this_thread_cpu().unwrap_or_default();
            for n in 0..samples {
                let started = Instant::now();
                match function {
                    "holiday-fetcher" => {
                        calendars.fetch(&calendar_url).await?;
                        holidays.load(None).await?;
                    }
                    "last-agent-lookup" => {
                        store.find(&number(n)?).await?;
                        directory.agents(&[agent(n)]).await?;
                    }
                    "agent-picker" => {
                        directory.candidates().await?;
                    }
                    "assignment-recorder" => {
                        let event = &self.answered[n % self.answered.len().max(1)]["detail"];
                        let contact_id = event["contactId"].as_str().unwrap_or_default();
                        contacts.customer_address(INSTANCE_ID, contact_id).await?;
                        let at = Utc::now();
                        let a = Assignment::new(number(n)?, agent(n), String::new(), format!("direct-{n}"), at, 90);
                        store.record(&a).await?;
                    }
                    "ivr-choice-recorder" => {
                        let customer = CallerNumber::parse(&format!("+8180{:08}", n % 1_000)).context("customer")?;
                        let choice = Choice {
                            customer,
                            status: RowStatus::CallBack,
                            contact_id: format!("direct-{n}"),
                            attempt: None,
                            placed_at: Utc::now(),
                            recorded_at: Utc::now(),
                            due_again: None,
                        };
                        customers.record_choice(&campaign, &choice).await?;
                    }
                    "campaign-dialer" => {
                        holidays.load(None).await?;
                        customers.due_rows(&campaign, Utc::now(), None).await?;
                    }
                    // holiday-check answers warm calls from its cache; the floor asks nothing.
                    _ => {}
                }
                taken.push(started.elapsed());
            }
            let cpu = crate::cpu::this_thread_cpu().unwrap_or_default().saturating_sub(cpu_before);
            let direct = Direct { wall: percentile(&taken, 50.0), cpu: cpu / samples.max(1) as u32 };
            times.insert(function.to_owned(), direct);
        }
        Ok(times)
    }
}

/// Peak resident set (VmHWM) of a running process, in kB.
fn peak_rss_kb(pid: Option<u32>) -> u64 {
    let status = pid.and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok()).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The size of the deployment zip: the binary as `bootstrap`, deflated (Python's zipfile).
fn zip_size(binary: &Path) -> anyhow::Result<u64> {
    let dir = std::env::temp_dir().join(format!("connect-lambdas-zip-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let bootstrap = dir.join("bootstrap");
    std::fs::copy(binary, &bootstrap)?;
    let zip = dir.join("function.zip");
    let script = "import sys, zipfile\n\
                  with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:\n    z.write(sys.argv[2], 'bootstrap')\n";
    let status = std::process::Command::new("python3").args(["-c", script]).arg(&zip).arg(&bootstrap).status()?;
    if !status.success() {
        bail!("python3 could not zip {}", binary.display());
    }
    let size = std::fs::metadata(&zip)?.len();
    let _ = std::fs::remove_dir_all(&dir);
    Ok(size)
}

/// Measures every function of `options`, side by side with the floor.
pub async fn run(options: BenchOptions, progress: impl Fn(&str)) -> anyhow::Result<Report> {
    progress("seeding the emulators");
    let world = World::start(&options).await?;
    // holiday-check reads the list holiday-fetcher publishes: publish it once first.
    let fetcher = options.functions_dir.join("holiday-fetcher");
    if fetcher.is_file() {
        let mut first = world.spawn(&fetcher, "holiday-fetcher").await?;
        first.invoke(&world.event("holiday-fetcher", 0)).await?.response().context("publishing the holiday list")?;
    }
    let direct = world.direct_plan().measure(options.emulator_samples).await?;
    let mut measurements = Vec::new();
    let mut warm = Vec::new();
    for function in &options.functions {
        progress(function);
        let (m, process, sent) = measure_cold(&world, &options, function).await?;
        measurements.push(m);
        warm.push(WarmRun { process, sent });
    }
    progress("warm calls, every function in turn");
    measure_warm(&world, &options, &mut measurements, &mut warm).await?;
    let engines = match options.functions.iter().any(|f| f == "campaign-dialer") {
        true => {
            progress("campaign engines");
            crate::engine_bench::campaign_engines(&options.functions_dir, ENGINE_CUSTOMERS).await?
        }
        false => Vec::new(),
    };
    Ok(Report { measurements, direct, options, engines })
}

/// Cold starts and sizes; then a process started and called once (caches, connections) for
/// the warm calls, and the number of events sent so far.
async fn measure_cold(
    world: &World,
    options: &BenchOptions,
    function: &str,
) -> anyhow::Result<(Measurement, LambdaProcess, usize)> {
    let binary = options.functions_dir.join(function);
    if !binary.is_file() {
        bail!("{} not found: build it first", binary.display());
    }
    let mut m = Measurement { function: function.to_owned(), ..Measurement::default() };
    let mut sent = 0usize;
    for _ in 0..options.cold_starts.max(1) {
        let mut process = world.spawn(&binary, function).await?;
        m.init.push(process.ready().await?);
        m.init_cpu.push(process.pid().and_then(crate::cpu::live_threads_cpu).unwrap_or_default());
        let started = Instant::now();
        process.invoke(&world.event(function, sent)).await?.response()?;
        m.first_call.push(started.elapsed());
        sent += 1;
    }
    let mut process = world.spawn(&binary, function).await?;
    process.ready().await?;
    process.invoke(&world.event(function, sent)).await?.response()?;
    sent += 1;
    m.binary_bytes = std::fs::metadata(&binary)?.len();
    if options.zip {
        m.zip_bytes = zip_size(&binary)?;
    }
    Ok((m, process, sent))
}

/// One function's warm process during the interleaved warm calls.
struct WarmRun {
    process: LambdaProcess,
    sent: usize,
}

/// The warm calls, in `CPU_BLOCKS` rounds: each round runs a block of consecutive calls of
/// every function in turn, so a slow stretch of this shared machine falls on every function
/// alike and the figures stay comparable within the run. Requests, connections and CPU are
/// read around each block, so they are each function's own.
async fn measure_warm(
    world: &World,
    options: &BenchOptions,
    measurements: &mut [Measurement],
    runs: &mut [WarmRun],
) -> anyhow::Result<()> {
    let block_len = cpu_block_len(options.warm_invocations);
    let blocks = options.warm_invocations.div_ceil(block_len);
    let mut requests: Vec<BTreeMap<String, usize>> = vec![BTreeMap::new(); runs.len()];
    let mut tick_cpu = vec![Duration::ZERO; runs.len()];
    let mut precise_cpu: Vec<Option<Duration>> = vec![Some(Duration::ZERO); runs.len()];
    for block in 0..blocks {
        let calls = block_len.min(options.warm_invocations - block * block_len);
        for (i, (m, run)) in measurements.iter_mut().zip(runs.iter_mut()).enumerate() {
            let pid = run.process.pid();
            let before = world.requests();
            let connections_before = world.connections();
            let ticks_before = pid.and_then(crate::cpu::process_cpu).unwrap_or_default();
            let threads_before = pid.and_then(crate::cpu::threads_cpu);
            for _ in 0..calls {
                let event = world.event(&m.function, run.sent);
                run.sent += 1;
                let started = Instant::now();
                run.process.invoke(&event).await?.response()?;
                m.warm.push(started.elapsed());
            }
            let threads_after = pid.and_then(crate::cpu::threads_cpu);
            tick_cpu[i] += pid.and_then(crate::cpu::process_cpu).unwrap_or_default().saturating_sub(ticks_before);
            m.warm_connections += world.connections() - connections_before;
            for (operation, n) in world.requests() {
                let delta = n - before.get(&operation).copied().unwrap_or(0);
                if delta > 0 {
                    *requests[i].entry(operation).or_default() += delta;
                }
            }
            let spent = match (&threads_before, &threads_after) {
                (Some(start), Some(end)) => crate::cpu::cpu_between(start, end),
                _ => None,
            };
            if let Some(spent) = spent {
                m.warm_cpu_blocks.push(spent / calls as u32);
            }
            // A block without a precise reading leaves the mean to the clock ticks.
            precise_cpu[i] = precise_cpu[i].zip(spent).map(|(sum, spent)| sum + spent);
        }
    }
    let calls = options.warm_invocations.max(1);
    for (i, (m, run)) in measurements.iter_mut().zip(runs.iter()).enumerate() {
        m.warm_cpu_mean = precise_cpu[i].unwrap_or(tick_cpu[i]) / calls as u32;
        m.warm_cpu = if m.warm_cpu_blocks.is_empty() { m.warm_cpu_mean } else { percentile(&m.warm_cpu_blocks, 50.0) };
        for (operation, n) in &requests[i] {
            m.requests_per_warm.insert(operation.clone(), *n as f64 / calls as f64);
        }
        m.peak_rss_kb = peak_rss_kb(run.process.pid());
    }
    Ok(())
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1_000.0)
}

fn ratio(value: Duration, floor: Duration) -> String {
    if floor.is_zero() { "-".to_owned() } else { format!("{:.1}x", value.as_secs_f64() / floor.as_secs_f64()) }
}

impl Report {
    fn floor(&self) -> Option<&Measurement> {
        self.measurements.iter().find(|m| m.function == FLOOR)
    }

    /// A warm call's p50 minus the p50 of the same requests made directly: what the runtime,
    /// the handler and the function's own SDK use add.
    pub fn above_emulator(&self, m: &Measurement) -> Option<Duration> {
        Some(percentile(&m.warm, 50.0).saturating_sub(self.direct.get(&m.function)?.wall))
    }

    /// The report as Markdown: the machine, the table, the emulators' times.
    pub fn markdown(&self, machine: &str) -> String {
        let floor = self.floor().cloned().unwrap_or_default();
        let (floor_init, floor_warm) = (percentile(&floor.init, 50.0), percentile(&floor.warm, 50.0));
        let mut out = String::new();
        let _ = writeln!(out, "# Benchmarks\n");
        let _ = writeln!(out, "Written by `make bench`; do not edit. {machine}\n");
        let o = &self.options;
        let _ = writeln!(
            out,
            "Each function ran {} cold starts and {} warm invocations through the project's Lambda Runtime API \
             driver, against moto (through a counting proxy), the Connect emulator and a calendar server on \
             loopback, with {} assignments, {} agents and {} campaign customers. Times in ms; `x floor` is the \
             ratio to `{FLOOR}` (an echo function) measured in the same run.\n",
            o.cold_starts, o.warm_invocations, o.assignments, o.agents, o.customers
        );
        let _ = writeln!(
            out,
            "| function | init p50 | init p90 | init x floor | first call p50 | warm p50 | warm p99 | warm x floor | same requests direct p50 | above direct | requests per warm call | peak RSS MB | binary MB | zip MB |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for m in &self.measurements {
            let init = percentile(&m.init, 50.0);
            let warm = percentile(&m.warm, 50.0);
            let requests: Vec<String> =
                m.requests_per_warm.iter().map(|(op, n)| format!("{op} {}", trim_float(*n))).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {:.2} | {:.2} |",
                m.function,
                ms(init),
                ms(percentile(&m.init, 90.0)),
                ratio(init, floor_init),
                ms(percentile(&m.first_call, 50.0)),
                ms(warm),
                ms(percentile(&m.warm, 99.0)),
                ratio(warm, floor_warm),
                self.direct.get(&m.function).map(|d| ms(d.wall)).unwrap_or_else(|| "-".to_owned()),
                self.above_emulator(m).map(ms).unwrap_or_else(|| "-".to_owned()),
                if requests.is_empty() { "none".to_owned() } else { requests.join(", ") },
                m.peak_rss_kb as f64 / 1024.0,
                m.binary_bytes as f64 / 1_048_576.0,
                m.zip_bytes as f64 / 1_048_576.0,
            );
        }
        let _ = writeln!(
            out,
            "\n`same requests direct` is the p50 of {} runs of the warm call's requests made from the bench \
             process through the same adapters (calendar download, GetItem and one GetCurrentUserData, the \
             routing-profile GetCurrentUserData pages, DescribeContact and PutItem, the conditional UpdateItem, \
             the holiday list GET and the to-call Query); \
             `above direct` is the warm p50 minus it. moto answers from Python, so its requests dominate.",
            o.emulator_samples
        );
        let _ = writeln!(out, "\n{}", self.cpu_markdown());
        let _ = writeln!(out, "{}", self.memory_markdown());
        // What the profile showed and what each cut saved: written by hand, kept beside the figures.
        if let Ok(profile) = std::fs::read_to_string(workspace_root().join("docs/cpu-profile.md")) {
            let _ = writeln!(out, "{}", profile.trim_end());
            let _ = writeln!(out);
        }
        let _ = writeln!(out, "{}", self.quota_markdown());
        if !self.engines.is_empty() {
            let _ = writeln!(out, "{}", crate::engine_bench::engines_markdown(&self.engines, ENGINE_CUSTOMERS));
        }
        out
    }
}

/// CPU per warm call of the seed's Python functions, as issue 17 reports them (same machine, same
/// emulators, same warm events; the seed is not part of this repository, so not re-measured here).
pub const SEED_PYTHON_CPU_MS: [(&str, f64); 3] =
    [("holiday-check", 18.0), ("last-agent-lookup", 8.6), ("assignment-recorder", 4.9)];

/// Lambda's list prices for arm64 (Lambda pricing page, US East): per GB-second and per request.
const PRICE_PER_GB_SECOND: f64 = 0.000_013_333_4;
const PRICE_PER_REQUEST: f64 = 0.000_000_2;
/// The memory sizes the recommendation weighs.
const MEMORY_SIZES: [u32; 5] = [128, 256, 512, 1_024, 1_769];

/// Each function's `memoryMb` in `infra/lib/functions.ts`, the stack's setting (a number, or a
/// `const NAME = number;` of that file).
pub fn stack_memory_mb() -> BTreeMap<String, u32> {
    let source = std::fs::read_to_string(workspace_root().join("infra/lib/functions.ts")).unwrap_or_default();
    let constant = |name: &str| {
        source
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("const {name} = "))?.trim_end_matches(';').parse().ok())
    };
    let mut sizes = BTreeMap::new();
    let mut name = None;
    for line in source.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("name: '") {
            name = rest.split('\'').next().map(str::to_owned);
        } else if let Some(rest) = line.strip_prefix("memoryMb: ")
            && let Some(n) = name.take()
        {
            let value = rest.trim_end_matches(',');
            if let Some(mb) = value.parse().ok().or_else(|| constant(value)) {
                sizes.insert(n, mb);
            }
        }
    }
    sizes
}

impl Report {
    /// AWS requests (every emulator) per warm call.
    fn aws_requests(m: &Measurement) -> f64 {
        m.requests_per_warm.values().sum()
    }

    /// CPU per warm call and at init, beside the floor and the same requests made directly;
    /// the caller's wait projected at 128 MB and at the stack's memory size.
    pub fn cpu_markdown(&self) -> String {
        let floor = self.floor().map(|f| f.warm_cpu).unwrap_or_default();
        let stack = stack_memory_mb();
        let mut out = String::new();
        let _ = writeln!(out, "## CPU per call, and what it costs the caller at 128 MB\n");
        let _ = writeln!(
            out,
            "CPU of the function's process (`schedstat` of every thread) per warm call: the median of {} \
             blocks of {} consecutive warm calls, so that interference from outside the bench (this machine's \
             other tenants) moves one block and not the figure; `blocks` is the lowest and the highest block, \
             `mean` the CPU of all the warm calls per call (what a million calls cost). \
             Init CPU from spawn to the first `/next` (`schedstat` of its threads). `direct` is \
             the CPU per call of the bench thread that made the same requests through the same adapters on a \
             runtime of its own. `per AWS request` is the warm CPU above the floor's, per request the call \
             made; `new connections` counts the TCP connections the warm calls opened to the emulators (0: \
             kept alive, as with AWS endpoints). Lambda gives a function memory / 1,769 MB of one vCPU, so the projected wait is the warm p50 \
             minus its CPU plus the CPU divided by that share. Times in ms.\n",
            CPU_BLOCKS,
            cpu_block_len(self.options.warm_invocations)
        );
        let _ = writeln!(
            out,
            "| function | init CPU p50 | warm CPU per call | blocks | mean | x floor | same requests direct, CPU | AWS requests per call | new connections | CPU per AWS request | warm p50 | wait at 128 MB | stack's MB | wait at the stack's MB | Python function's CPU | less CPU than Python |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        for m in &self.measurements {
            let requests = Self::aws_requests(m);
            let blocks = match (m.warm_cpu_blocks.iter().min(), m.warm_cpu_blocks.iter().max()) {
                (Some(low), Some(high)) => format!("{} to {}", ms3(*low), ms3(*high)),
                _ => "-".to_owned(),
            };
            let per_request =
                if requests > 0.0 { ms(m.warm_cpu.saturating_sub(floor).div_f64(requests)) } else { "-".to_owned() };
            let warm = percentile(&m.warm, 50.0);
            let memory = stack.get(&m.function).copied().unwrap_or(128);
            let seed = SEED_PYTHON_CPU_MS.iter().find(|(f, _)| *f == m.function).map(|(_, cpu)| *cpu);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {blocks} | {} | {} | {} | {} | {} | {per_request} | {} | {} | {memory} | {} | {} | {} |",
                m.function,
                ms(percentile(&m.init_cpu, 50.0)),
                ms3(m.warm_cpu),
                ms3(m.warm_cpu_mean),
                ratio(m.warm_cpu, floor),
                self.direct
                    .get(&m.function)
                    .filter(|d| !d.cpu.is_zero())
                    .map(|d| ms3(d.cpu))
                    .unwrap_or_else(|| "-".to_owned()),
                trim_float(requests),
                m.warm_connections,
                ms(warm),
                ms(crate::cpu::projected_wait(warm, m.warm_cpu, 128)),
                ms(crate::cpu::projected_wait(warm, m.warm_cpu, memory)),
                seed.map(|cpu| format!("{cpu}")).unwrap_or_else(|| "-".to_owned()),
                seed.map(|cpu| format!("{:.1}x", cpu / (m.warm_cpu.as_secs_f64() * 1_000.0).max(0.001)))
                    .unwrap_or_else(|| "-".to_owned()),
            );
        }
        out
    }

    /// Per contact-flow function and memory size: the projected wait and the cost per million
    /// calls (billed duration = the projected wait, rounded up to the millisecond).
    pub fn memory_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## Memory size: the caller's wait against the cost\n");
        let _ = writeln!(
            out,
            "Projected wait (ms) and cost per million calls (USD, arm64 list prices: {PRICE_PER_GB_SECOND} per \
             GB-second, 0.20 per million requests) of a warm call at each memory size. The wall time outside \
             the CPU is the emulators' here (moto answers from Python); on AWS it is the services' own.\n"
        );
        let header: Vec<String> = MEMORY_SIZES.iter().map(|mb| format!("{mb} MB")).collect();
        let _ = writeln!(out, "| function | {} |", header.join(" | "));
        let _ = writeln!(out, "|---|{}", "---|".repeat(MEMORY_SIZES.len()));
        for m in self.measurements.iter().filter(|m| CONTACT_FLOW_FUNCTIONS.contains(&m.function.as_str())) {
            let warm = percentile(&m.warm, 50.0);
            let cells: Vec<String> = MEMORY_SIZES
                .iter()
                .map(|&mb| {
                    let wait = crate::cpu::projected_wait(warm, m.warm_cpu, mb);
                    let billed_s = (wait.as_secs_f64() * 1_000.0).ceil() / 1_000.0;
                    let cost = 1e6 * (PRICE_PER_REQUEST + f64::from(mb) / 1_024.0 * billed_s * PRICE_PER_GB_SECOND);
                    format!("{} ms, ${cost:.3}", ms(wait))
                })
                .collect();
            let _ = writeln!(out, "| {} | {} |", m.function, cells.join(" | "));
        }
        out
    }
}

fn ms3(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1_000.0)
}

/// The functions a contact flow calls while a caller waits.
pub const CONTACT_FLOW_FUNCTIONS: [&str; 5] =
    ["holiday-check", "last-agent-lookup", "agent-picker", "assignment-recorder", "ivr-choice-recorder"];

/// The call rate (calls per second, account-wide) at which Connect's default quotas start throttling
/// a function that makes `requests` per call: the lowest quota rate / Connect requests per call over
/// the Connect operations it calls, with that operation; `None` when it makes no Connect request.
pub fn quota_call_rate(requests: &BTreeMap<String, f64>) -> Option<(f64, String)> {
    requests
        .iter()
        .filter_map(|(op, n)| op.strip_prefix("connect:").map(|op| (op, *n)))
        .filter(|(_, n)| *n > 0.0)
        .map(|(op, n)| (default_quota(op).rate / n, op.to_owned()))
        .min_by(|a, b| a.0.total_cmp(&b.0))
}

impl Report {
    /// Per contact-flow function: its Connect requests per call and the inbound call rate at which
    /// Connect's default quotas (shared by every instance of the account and Region) throttle it.
    pub fn quota_markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "## How far Connect's API quotas let each contact-flow function scale
"
        );
        let _ = writeln!(
            out,
            "Connect requests per warm call (from the table above) and the inbound call rate at which Connect's \
             default API quotas start throttling it: quota rate / requests per call, for its most limiting \
             operation. The quotas are per account and Region, shared by every instance and every caller of \
             the API (the emulator's defaults, `crates/local-run/src/connect_emulator/quotas.rs`, cite them).\n"
        );
        let _ = writeln!(
            out,
            "| function | Connect requests per call | quota (rate/s, burst) | calls/s before throttling |"
        );
        let _ = writeln!(out, "|---|---|---|---|");
        for m in self.measurements.iter().filter(|m| CONTACT_FLOW_FUNCTIONS.contains(&m.function.as_str())) {
            let connect: Vec<String> = m
                .requests_per_warm
                .iter()
                .filter_map(|(op, n)| op.strip_prefix("connect:").map(|op| format!("{op} {}", trim_float(*n))))
                .collect();
            let (requests, quota, rate) = match quota_call_rate(&m.requests_per_warm) {
                Some((rate, op)) => {
                    let q = default_quota(&op);
                    (
                        connect.join(", "),
                        format!("{op} {}/s, {}", trim_float(q.rate), trim_float(q.burst)),
                        format!("{rate:.2}"),
                    )
                }
                None => ("none".to_owned(), "-".to_owned(), "no Connect limit".to_owned()),
            };
            let _ = writeln!(out, "| {} | {requests} | {quota} | {rate} |", m.function);
        }
        out
    }
}

fn trim_float(n: f64) -> String {
    if (n - n.round()).abs() < 0.005 { format!("{}", n.round() as i64) } else { format!("{n:.2}") }
}

/// The machine this ran on, from /proc and rustc.
pub fn describe_machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|v| v.split_once(':')).map(|(_, v)| v.trim().to_owned()))
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let memory = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1_048_576.0))
        .unwrap_or_default();
    let kernel = read("/proc/sys/kernel/osrelease").trim().to_owned();
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!(
        "Machine: {model}, {cores} cores, {memory}, Linux {kernel}, {} binaries built by {rustc} (release profile), {}.",
        std::env::consts::ARCH,
        Utc::now().format("%Y-%m-%d")
    )
}

/// `docs/benchmarks.md` in the workspace.
pub fn report_path() -> PathBuf {
    workspace_root().join("docs/benchmarks.md")
}
