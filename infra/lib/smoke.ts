// `make smoke`: after a deploy, each deployed function invoked once through the AWS CLI
// (`aws lambda invoke`) with a sample event of events/<function>/, and a report of what each
// answered. The samples change nothing a caller or customer would notice: holiday-fetcher runs
// as its daily schedule does (it publishes the list only when it changed), the others read, or
// answer an event they leave alone (a chat, a customer who is not in the table), and
// campaign-dialer makes a dry run (`{"dryRun": true}`: what a run would dial now; nothing dialed).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { FUNCTIONS, pascal } from './functions';

export const ROOT = path.resolve(__dirname, '..', '..');

/** Each function's sample event, in the order they are invoked (the fetcher first, so holiday-check reads a list). */
export const SMOKE_EVENTS: Record<string, string> = {
  'holiday-fetcher': 'events/holiday-fetcher/scheduled.json',
  'holiday-check': 'events/holiday-check/voice-now.json',
  'last-agent-lookup': 'events/last-agent-lookup/voice.json',
  'agent-picker': 'events/agent-picker/first-try.json',
  'assignment-recorder': 'events/assignment-recorder/chat-contact-event.json',
  'ivr-choice-recorder': 'events/ivr-choice-recorder/talk-now.json',
  'campaign-dialer': 'events/campaign-dialer/dry-run.json',
};

/** The answer keys the report shows, when present. */
const SHOWN = [
  'status', 'stopped', 'dryRun', 'holidayCount', 'isClosed', 'holidayName', 'found', 'preferAgent', 'agentId',
  'recorded', 'skipped', 'outcome', 'rowsRead', 'dialed', 'error', 'errorType',
];

/** What one function answered. */
export interface SmokeResult {
  function: string;
  /** `ok`: answered; `error`: a function error or an invoke that failed; `missing`: not in the stack. */
  result: 'ok' | 'error' | 'missing';
  detail: string;
}

/** Runs the AWS CLI with `args`: its exit status, stdout and stderr. */
export type AwsCli = (args: string[]) => { status: number; stdout: string; stderr: string };

/**
 * The deployed function names of a stack, from `aws cloudformation describe-stack-resources`:
 * each suite function's `AWS::Lambda::Function`, whose logical id is its name in PascalCase
 * with CDK's 8-character suffix (`HolidayCheckDBAD84C6`).
 */
export function functionsOfStack(describeOutput: string): Record<string, string> {
  const resources: { LogicalResourceId: string; PhysicalResourceId?: string; ResourceType: string }[] =
    JSON.parse(describeOutput).StackResources ?? [];
  const found: Record<string, string> = {};
  for (const spec of FUNCTIONS) {
    const logical = new RegExp(`^${pascal(spec.name)}[0-9A-F]{8}$`);
    const resource = resources.find((r) => r.ResourceType === 'AWS::Lambda::Function' && logical.test(r.LogicalResourceId));
    if (resource?.PhysicalResourceId) found[spec.name] = resource.PhysicalResourceId;
  }
  return found;
}

/** One line of what an answer says: the keys that tell an operator how it went. */
export function summarize(answer: unknown): string {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return JSON.stringify(answer);
  const fields = Object.entries(answer as Record<string, unknown>).filter(([key, value]) => SHOWN.includes(key) && value !== '' && value !== null);
  fields.sort(([a], [b]) => SHOWN.indexOf(a) - SHOWN.indexOf(b));
  const shown = fields.map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return shown.length ? shown.join(' ') : '(an answer without the usual keys)';
}

/** Invokes `name` (deployed as `deployed`) with its sample event through the CLI. */
export function invoke(aws: AwsCli, name: string, deployed: string, common: string[]): SmokeResult {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'connect-lambdas-smoke-')), 'answer.json');
  const event = path.join(ROOT, SMOKE_EVENTS[name]);
  const ran = aws(['lambda', 'invoke', '--function-name', deployed, '--payload', `fileb://${event}`, ...common, out]);
  try {
    if (ran.status !== 0) return { function: name, result: 'error', detail: `aws lambda invoke failed: ${ran.stderr.trim() || ran.stdout.trim()}` };
    const meta = JSON.parse(ran.stdout || '{}');
    const answer = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8') || 'null') : null;
    if (meta.FunctionError) {
      return { function: name, result: 'error', detail: `function error ${answer?.errorType ?? meta.FunctionError}: ${answer?.errorMessage ?? ''}`.trim() };
    }
    return { function: name, result: 'ok', detail: summarize(answer) };
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

export interface SmokeRequest {
  /** Suite name -> deployed function name (or ARN). */
  functions: Record<string, string>;
  region?: string;
  /** An emulated Lambda (`make test`); the real one when unset. */
  endpointUrl?: string;
  /** The suite functions the stack should have: reported `missing` when absent. */
  expected?: string[];
}

/** Every function of the request, in the sample order. */
export function smoke(aws: AwsCli, request: SmokeRequest): SmokeResult[] {
  const common = [
    ...(request.region ? ['--region', request.region] : []),
    ...(request.endpointUrl ? ['--endpoint-url', request.endpointUrl] : []),
    // campaign-dialer may run for minutes; the CLI's default read timeout is 60 s.
    '--cli-read-timeout', '330',
  ];
  const results: SmokeResult[] = [];
  for (const name of Object.keys(SMOKE_EVENTS)) {
    const deployed = request.functions[name];
    if (deployed !== undefined) {
      results.push(invoke(aws, name, deployed, common));
    } else if (request.expected?.includes(name)) {
      results.push({ function: name, result: 'missing', detail: 'not found in the stack' });
    }
  }
  return results;
}

/** The report: one line per function, and the total. */
export function report(results: SmokeResult[]): string[] {
  const width = Math.max(...results.map((r) => r.function.length), 8);
  const lines = results.map((r) => `${r.function.padEnd(width)}  ${r.result.padEnd(7)}  ${r.detail}`);
  const failed = results.filter((r) => r.result !== 'ok').length;
  lines.push(failed === 0 ? `smoke: all ${results.length} answered` : `smoke: ${failed} of ${results.length} did not answer`);
  return lines;
}
