// What a deployment is told through CDK context (`-c name=value` or cdk.json), checked once,
// with errors that name the setting.

/** Reads one context value; `undefined` when unset or blank. */
export type ContextReader = (name: string) => unknown;

export interface Settings {
  /** The existing Amazon Connect instance the suite serves. */
  connectInstanceArn: string;
  /** The queue the flows fall back to and the campaign calls through. */
  queueArn: string;
  alertEmail?: string;
  /** EventBridge schedule expression for holiday-fetcher. */
  holidaySchedule: string;
  calendarUrls: string[];
  closedDates?: string;
  timeZone: string;
  /** The campaign attribute of the customers table. */
  campaign: string;
  /** EventBridge schedule expression for campaign-dialer; no schedule when unset. */
  dialerSchedule?: string;
  /** Caller ID for campaign calls; the queue's outbound caller ID when unset. */
  campaignSourceNumber?: string;
  /**
   * When campaign-dialer may place calls, in `timeZone`: one or more comma-separated ranges such
   * as `Mon-Fri 09:00-20:00` or `Sat 10:00-17:00` (`CALLING_HOURS`). The dialer also reads the
   * holiday list.
   */
  callingHours: string;
  /** Minutes before a customer is dialed again after a call without an answer (1..10080, `RETRY_AFTER_MINUTES`). */
  retryAfterMinutes: number;
  /** Calls per customer at most (1..10, `MAX_ATTEMPTS`). */
  maxAttempts: number;
  /**
   * Reserve a concurrency of 1 for campaign-dialer (default), so runs never overlap. Accounts
   * still at Lambda's starting limit of 10 cannot reserve any and must turn this off.
   */
  reserveDialerConcurrency: boolean;
  /** Hours of operation (IDs or ARNs) whose holiday overrides holiday-fetcher keeps in step. */
  hoursOfOperationIds: string[];
  /** How far ahead the overrides reach, in days. */
  overrideHorizonDays?: number;
  /**
   * 0 (default): assignment-recorder records a call when an agent answers it
   * (`CONNECTED_TO_AGENT`). More: when it ends (`DISCONNECTED`), and only if the agent was on it
   * at least this many seconds, so a call the agent dropped at once does not become "their" caller.
   */
  minConnectedSeconds: number;
  /** The `InitiationMethod`s whose calls assignment-recorder records (`INBOUND` by default). */
  recordInitiationMethods: string[];
  /**
   * How the inbound flow reaches a returning caller's last agent. `standard` (default): routing
   * criteria on the standard queue prefer that agent for `preferredAgentSeconds`, then any agent
   * of the queue. `direct`: the call goes to the agent's own queue and, after `agentQueueSeconds`,
   * a customer-queue flow moves it to the standard queue.
   */
  routing: Routing;
  /** routing=standard: how long the routing criteria offer the call to the last agent only (5..600 s). */
  preferredAgentSeconds: number;
  /** routing=standard: ask a returning caller (one digit, 1 = yes) whether to wait for their last agent. */
  askReturningCaller: boolean;
  /** routing=direct: how long a call waits in the agent's queue before it moves to the standard queue (10..600 s). */
  agentQueueSeconds: number;
}

export const ROUTINGS = ['standard', 'direct'] as const;
export type Routing = (typeof ROUTINGS)[number];

/** Daily at 08:00 JST (23:00 UTC the day before). */
export const DEFAULT_HOLIDAY_SCHEDULE = 'cron(0 23 * * ? *)';

/** Weekdays, 09:00 to 20:00 in the center's time zone. */
export const DEFAULT_CALLING_HOURS = 'Mon-Fri 09:00-20:00';

const INSTANCE_ARN = /^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance\/[0-9a-f-]{36}$/;
const QUEUE_ARN = /^arn:aws[a-z-]*:connect:[a-z0-9-]+:\d{12}:instance\/[0-9a-f-]{36}\/queue\/[0-9a-f-]{36}$/;
const SCHEDULE = /^(cron|rate)\(.+\)$/;
const E164 = /^\+[0-9]{7,15}$/;
const CAMPAIGN = /^[A-Za-z0-9_.-]{1,200}$/;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
/** `Mon-Fri 09:00-20:00`, `Sat 10:00-17:00`, `Mon-Sun 00:00-24:00`; comma-separated. */
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const CLOCK = '(?:[01][0-9]|2[0-3]):[0-5][0-9]';
const CALLING_RANGE = `${DAY}(?:-${DAY})? ${CLOCK}-(?:${CLOCK}|24:00)`;
const CALLING_HOURS = new RegExp(`^${CALLING_RANGE}(?: *, *${CALLING_RANGE})*$`);
/**
 * The initiation methods of calls between a customer and an agent. The others Connect reports
 * (DISCONNECT, MONITOR, EXTERNAL_OUTBOUND, WEBRTC_API, AGENT_REPLY, FLOW) are not a phone
 * caller talking with the agent who answered.
 */
export const INITIATION_METHODS = ['INBOUND', 'OUTBOUND', 'TRANSFER', 'QUEUE_TRANSFER', 'CALLBACK', 'API'];

export class SettingsError extends Error {}

function text(read: ContextReader, name: string): string | undefined {
  const value = read(name);
  if (value === undefined || value === null) return undefined;
  const trimmed = String(value).trim();
  return trimmed === '' ? undefined : trimmed;
}

function checked(name: string, value: string | undefined, pattern: RegExp, expected: string): string | undefined {
  if (value !== undefined && !pattern.test(value)) {
    throw new SettingsError(`context ${name}=${JSON.stringify(value)}: expected ${expected}`);
  }
  return value;
}

function required(name: string, value: string | undefined, pattern: RegExp, expected: string): string {
  const ok = checked(name, value, pattern, expected);
  if (ok === undefined) throw new SettingsError(`context ${name} is required: ${expected}`);
  return ok;
}

/** A comma-separated value as its non-blank items. */
function list(read: ContextReader, name: string): string[] {
  return (text(read, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Whole seconds within `min..max`; `fallback` when unset. */
function seconds(read: ContextReader, name: string, min: number, max: number, fallback: number): number {
  const value = text(read, name);
  if (value === undefined) return fallback;
  if (!/^[0-9]{1,4}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new SettingsError(`context ${name}=${JSON.stringify(value)}: expected whole seconds, ${min} to ${max}`);
  }
  return Number(value);
}

/** A whole number within `min..max` (`what`: how the message names it); `fallback` when unset. */
function whole(read: ContextReader, name: string, min: number, max: number, fallback: number, what: string): number {
  const value = text(read, name);
  if (value === undefined) return fallback;
  if (!/^[0-9]{1,6}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new SettingsError(`context ${name}=${JSON.stringify(value)}: expected ${what}, ${min} to ${max}`);
  }
  return Number(value);
}

/** `callingHours` as campaign-dialer parses it: the pattern above, and each range ending after it starts. */
function callingHours(read: ContextReader): string {
  const value = checked(
    'callingHours',
    text(read, 'callingHours'),
    CALLING_HOURS,
    'comma-separated ranges such as "Mon-Fri 09:00-20:00" or "Sat 10:00-17:00" (days Mon Tue Wed Thu Fri Sat Sun, times 00:00 to 24:00)',
  );
  if (value === undefined) return DEFAULT_CALLING_HOURS;
  const minutes = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3));
  for (const range of value.split(',').map((r) => r.trim())) {
    const [start, end] = range.split(' ')[1].split('-');
    if (minutes(start) >= minutes(end)) {
      throw new SettingsError(
        `context callingHours: ${JSON.stringify(range)} must end after it starts (for hours past midnight, add a range from 00:00 on the next day)`,
      );
    }
  }
  return value;
}

function flag(read: ContextReader, name: string, fallback: boolean): boolean {
  const value = text(read, name);
  if (value === undefined) return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new SettingsError(`context ${name}=${JSON.stringify(value)}: expected true or false`);
}

export function settingsFrom(read: ContextReader): Settings {
  const connectInstanceArn = required(
    'connectInstanceArn',
    text(read, 'connectInstanceArn'),
    INSTANCE_ARN,
    'the instance ARN, arn:aws:connect:<region>:<account>:instance/<id>',
  );
  const queueArn = required(
    'queueArn',
    text(read, 'queueArn'),
    QUEUE_ARN,
    'a queue ARN of that instance, .../instance/<id>/queue/<id>',
  );
  if (!queueArn.startsWith(`${connectInstanceArn}/queue/`)) {
    throw new SettingsError(`context queueArn must be a queue of ${connectInstanceArn}`);
  }
  const calendarUrls = list(read, 'calendarUrls');
  for (const url of calendarUrls) {
    checked('calendarUrls', url, /^https?:\/\/\S+$/, 'comma-separated http(s) URLs');
  }
  const hoursOfOperationIds = list(read, 'hoursOfOperationIds');
  for (const id of hoursOfOperationIds) {
    checked('hoursOfOperationIds', id, /^([0-9a-f-]{36}|arn:aws[a-z-]*:connect:.+\/operating-hours\/[0-9a-f-]{36})$/, 'comma-separated hours of operation IDs or ARNs');
  }
  const horizon = checked('overrideHorizonDays', text(read, 'overrideHorizonDays'), /^[0-9]{1,4}$/, 'whole days, 1 to 1095');
  if (horizon !== undefined && (Number(horizon) < 1 || Number(horizon) > 1095)) {
    throw new SettingsError(`context overrideHorizonDays=${horizon}: expected 1 to 1095 days`);
  }
  const minConnected = checked('minConnectedSeconds', text(read, 'minConnectedSeconds'), /^[0-9]{1,4}$/, 'whole seconds, 0 to 3600');
  if (minConnected !== undefined && Number(minConnected) > 3600) {
    throw new SettingsError(`context minConnectedSeconds=${minConnected}: expected 0 to 3600 seconds`);
  }
  // Upper-cased as assignment-recorder reads them; each once.
  const recordInitiationMethods = [...new Set(list(read, 'recordInitiationMethods').map((m) => m.toUpperCase()))];
  for (const method of recordInitiationMethods) {
    if (!INITIATION_METHODS.includes(method)) {
      throw new SettingsError(
        `context recordInitiationMethods: ${JSON.stringify(method)} is not one of ${INITIATION_METHODS.join(', ')}`,
      );
    }
  }
  const routing = text(read, 'routing') ?? 'standard';
  if (!(ROUTINGS as readonly string[]).includes(routing)) {
    throw new SettingsError(`context routing=${JSON.stringify(routing)}: expected ${ROUTINGS.join(' or ')}`);
  }
  return {
    routing: routing as Routing,
    preferredAgentSeconds: seconds(read, 'preferredAgentSeconds', 5, 600, 30),
    askReturningCaller: flag(read, 'askReturningCaller', false),
    agentQueueSeconds: seconds(read, 'agentQueueSeconds', 10, 600, 60),
    hoursOfOperationIds,
    overrideHorizonDays: horizon === undefined ? undefined : Number(horizon),
    connectInstanceArn,
    queueArn,
    alertEmail: checked('alertEmail', text(read, 'alertEmail'), EMAIL, 'an e-mail address'),
    holidaySchedule:
      checked('holidaySchedule', text(read, 'holidaySchedule'), SCHEDULE, 'cron(...) or rate(...)') ??
      DEFAULT_HOLIDAY_SCHEDULE,
    calendarUrls,
    closedDates: text(read, 'closedDates'),
    timeZone: text(read, 'timeZone') ?? 'Asia/Tokyo',
    campaign:
      checked('campaign', text(read, 'campaign'), CAMPAIGN, 'letters, digits, _ - . (at most 200)') ?? 'campaign',
    dialerSchedule: checked('dialerSchedule', text(read, 'dialerSchedule'), SCHEDULE, 'cron(...) or rate(...)'),
    reserveDialerConcurrency: flag(read, 'reserveDialerConcurrency', true),
    campaignSourceNumber: checked(
      'campaignSourceNumber',
      text(read, 'campaignSourceNumber'),
      E164,
      'an E.164 number such as +81501234567',
    ),
    callingHours: callingHours(read),
    retryAfterMinutes: whole(read, 'retryAfterMinutes', 1, 10080, 60, 'whole minutes'),
    maxAttempts: whole(read, 'maxAttempts', 1, 10, 3, 'a whole number of calls'),
    minConnectedSeconds: minConnected === undefined ? 0 : Number(minConnected),
    recordInitiationMethods: recordInitiationMethods.length ? recordInitiationMethods : ['INBOUND'],
  };
}
