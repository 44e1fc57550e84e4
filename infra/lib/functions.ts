// The suite's functions as the stack deploys them. One name per function everywhere: the
// crate, the binary, target/lambda/<name>, the construct id and events/<name>/.

import { Duration } from 'aws-cdk-lib';

export interface FunctionSpec {
  name: string;
  description: string;
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
 * vCPU), which halves the CPU part of the wait (about 13 ms of a warm call's and 70 ms of a cold
 * start's at 128 MB) for about 3 % more per million calls, the request price dominating
 * (docs/benchmarks.md, "Memory size"; README, "Benchmarks").
 */
const CONTACT_FLOW_MEMORY_MB = 256;

export const FUNCTIONS: readonly FunctionSpec[] = [
  {
    name: 'holiday-fetcher',
    description: 'Downloads public-holiday calendars and keeps the validated holiday list in S3',
    contactFlow: false,
    timeout: Duration.seconds(60),
    memoryMb: 128,
  },
  {
    name: 'holiday-check',
    description: "Is the given or current day a holiday in the center's time zone?",
    contactFlow: true,
    timeout: CONTACT_FLOW_TIMEOUT,
    memoryMb: CONTACT_FLOW_MEMORY_MB,
  },
  {
    name: 'last-agent-lookup',
    description: 'Who last served this caller, and are they available now',
    contactFlow: true,
    timeout: CONTACT_FLOW_TIMEOUT,
    memoryMb: CONTACT_FLOW_MEMORY_MB,
  },
  {
    name: 'agent-picker',
    description: 'The next available agent not yet tried',
    contactFlow: true,
    timeout: CONTACT_FLOW_TIMEOUT,
    memoryMb: CONTACT_FLOW_MEMORY_MB,
  },
  {
    name: 'assignment-recorder',
    description: 'Remembers caller -> agent for the next call',
    contactFlow: true,
    timeout: CONTACT_FLOW_TIMEOUT,
    memoryMb: CONTACT_FLOW_MEMORY_MB,
  },
  {
    name: 'ivr-choice-recorder',
    description: "Records an outbound customer's keypad choice and answers with SSML",
    contactFlow: true,
    timeout: CONTACT_FLOW_TIMEOUT,
    memoryMb: CONTACT_FLOW_MEMORY_MB,
  },
  {
    name: 'campaign-dialer',
    description: 'Places outbound campaign calls paced by available agents',
    contactFlow: false,
    // It stops 10 s before its deadline; a long run keeps pacing between schedule ticks.
    timeout: Duration.minutes(5),
    memoryMb: 128,
    singleRun: true,
  },
];

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
