// The suite's functions as the stack deploys them. One name per function everywhere: the
// crate, the binary, target/lambda/<name>, the construct id and events/<name>/.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { Duration } from 'aws-cdk-lib';

export interface FunctionSpec {
  name: string;
  /** What the function does: its crate's `description` (crateDescription). */
  description: string;
  /** What invokes it, as the README's function table says. */
  trigger: string;
  /** Called by contact flows: needs the instance association and Connect's invoke permission. */
  contactFlow: boolean;
  timeout: Duration;
  memoryMb: number;
  /** One run at a time: pacing counts only a run's own calls. */
  singleRun?: boolean;
}

/** Connect waits at most 8 s; the functions answer within 2.5 s whatever AWS does. */
const CONTACT_FLOW_TIMEOUT = Duration.seconds(3);
/**
 * A caller waits on these: Lambda gives 256 MB twice the CPU of 128 MB (memory / 1,769 MB of a
 * vCPU), which halves the CPU part of the wait (about 6 ms of a warm lookup's and 90 ms of its
 * cold start's at 128 MB) for about 2 % more per million calls, the request price dominating
 * (docs/benchmarks.md, "Memory size").
 */
const CONTACT_FLOW_MEMORY_MB = 256;

const SPECS: readonly Omit<FunctionSpec, 'description'>[] = [
  {
    name: 'holiday-fetcher',
    trigger: 'EventBridge schedule (daily by default)',
    contactFlow: false,
    timeout: Duration.seconds(60),
    memoryMb: 128,
  },
  {
    name: 'holiday-check',
    trigger: 'contact flow',
    contactFlow: true,
    timeout: CONTACT_FLOW_TIMEOUT,
    memoryMb: CONTACT_FLOW_MEMORY_MB,
  },
  {
    name: 'last-agent-lookup',
    trigger: 'contact flow',
    contactFlow: true,
    timeout: CONTACT_FLOW_TIMEOUT,
    memoryMb: CONTACT_FLOW_MEMORY_MB,
  },
  {
    name: 'agent-picker',
    trigger: 'contact flow (`routing=direct`)',
    contactFlow: true,
    timeout: CONTACT_FLOW_TIMEOUT,
    memoryMb: CONTACT_FLOW_MEMORY_MB,
  },
  {
    name: 'assignment-recorder',
    trigger: 'Connect contact events (EventBridge)',
    contactFlow: true,
    timeout: CONTACT_FLOW_TIMEOUT,
    memoryMb: CONTACT_FLOW_MEMORY_MB,
  },
  {
    name: 'ivr-choice-recorder',
    trigger: 'outbound contact flow',
    contactFlow: true,
    timeout: CONTACT_FLOW_TIMEOUT,
    memoryMb: CONTACT_FLOW_MEMORY_MB,
  },
  {
    name: 'campaign-dialer',
    trigger: 'EventBridge schedule (`dialerSchedule`) or a manual invoke',
    contactFlow: false,
    // It stops 10 s before its deadline; a long run keeps pacing between schedule ticks.
    timeout: Duration.minutes(5),
    memoryMb: 128,
    singleRun: true,
  },
];

/** The workspace's crates: one per function, named as the function. */
const CRATES = path.resolve(__dirname, '..', '..', 'crates');

/**
 * A function's description: the `description` of its crate (`crates/<name>/Cargo.toml`), the one
 * source of what each function does. The stack gives it to the Lambda function, `make
 * lambda-deploy` to cargo-lambda, and the README's function table is tested against it
 * (test/docs.test.ts).
 */
export function crateDescription(name: string): string {
  const manifest = fs.readFileSync(path.join(CRATES, name, 'Cargo.toml'), 'utf8');
  const line = /^description\s*=\s*"((?:[^"\\]|\\.)*)"\s*$/m.exec(manifest);
  if (!line) throw new Error(`crates/${name}/Cargo.toml: no description = "..." line`);
  // A TOML basic string escapes as JSON does (\", \\, \n, \uXXXX).
  return JSON.parse(`"${line[1]}"`);
}

export const FUNCTIONS: readonly FunctionSpec[] = SPECS.map((spec) => ({ ...spec, description: crateDescription(spec.name) }));

/** `holiday-check` -> `HolidayCheck`: construct ids and flow placeholders (`${HolidayCheckArn}`). */
export function pascal(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The placeholder a flow uses for a function's ARN. */
export function arnPlaceholder(name: string): string {
  return `${pascal(name)}Arn`;
}
