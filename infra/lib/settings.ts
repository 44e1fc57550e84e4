// What a deployment is told through CDK context (`-c name=value` or cdk.json), checked once,
// with errors that name the setting.

/** Reads one context value; `undefined` when unset or blank. */
export type ContextReader = (name: string) => unknown;

export interface Settings {
  /** The CloudFormation stack's name (`ConnectLambdas` by default): one per instance or environment. */
  stackName: string;
  /** The account and Region of the instance: the stack deploys there, next to it. */
  account: string;
  region: string;
  /** Which parts of the suite the stack deploys (all by default); each can be deployed alone. */
  features: Features;
  /**
   * The flows' prompts and ivr-choice-recorder's messages: a language of infra/flows/languages/
   * (`ja-JP` by default; `en-US`).
   */
  language: string;
  /** A Polly voice for the flows instead of the language's own (`Joanna`, `Takumi`, ...). */
  voice?: string;
  /** The engine of `voice`: `Neural` (default) or `Standard`. */
  voiceEngine: 'Neural' | 'Standard';
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
  /**
   * Minutes before a customer is dialed again after a call without an answer, without input, or
   * whose transfer to the queue failed (1..10080, `RETRY_AFTER_MINUTES` of campaign-dialer and
   * ivr-choice-recorder).
   */
  retryAfterMinutes: number;
  /** Calls per customer at most (1..10, `MAX_ATTEMPTS`). */
  maxAttempts: number;
  /**
   * Who dials the due rows (`ENGINE`): `direct` (default), campaign-dialer itself with
   * StartOutboundVoiceContact; `campaigns-v2`, an Amazon Connect Outbound Campaigns v2 campaign
   * (`outboundCampaignId`) that campaign-dialer hands them to with PutOutboundRequestBatch.
   */
  dialerEngine: 'direct' | 'campaigns-v2';
  /** The Outbound Campaigns v2 campaign of `dialerEngine=campaigns-v2` (`OUTBOUND_CAMPAIGN_ID`). */
  outboundCampaignId?: string;
  /**
   * Outbound Campaigns v2 campaigns whose telephony restricted periods holiday-fetcher keeps in
   * step with the single site's holidays (`OUTBOUND_CAMPAIGN_IDS`; per site: `outboundCampaignIds`).
   */
  outboundCampaignIds: string[];
  /**
   * Reserve a concurrency of 1 for campaign-dialer (default), so runs never overlap. Accounts
   * still at Lambda's starting limit of 10 cannot reserve any and must turn this off.
   */
  reserveDialerConcurrency: boolean;
  /** Hours of operation (IDs or ARNs) whose holiday overrides holiday-fetcher keeps in step. */
  hoursOfOperationIds: string[];
  /**
   * A shared "holiday" hours of operation (ID or ARN, `HOLIDAY_HOURS_OF_OPERATION_ID`) that holds
   * the overrides instead: holiday-fetcher links `hoursOfOperationIds` to it as children, which
   * inherit its overrides (docs/hours-of-operation-overrides.md, section 3).
   */
  holidayHoursOfOperationId?: string;
  /**
   * Several sites instead of the single-site settings (`calendarUrls`, `closedDates`,
   * `hoursOfOperationIds`, `holidayHoursOfOperationId`): holiday-fetcher's `SITES`, checked as
   * its parser checks it.
   */
  sites?: Sites;
  /**
   * The site holiday-check answers for when a flow passes no `site`, and whose holidays and early
   * closes stop campaign-dialer's calls (`SITE`). `default` without `sites`, else the first site.
   */
  site: string;
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
  /**
   * routing=standard: how long the routing criteria offer the call to the last agent only
   * (5..600 s, 15 by default). last-agent-lookup prefers only an agent who can take the call now,
   * so a short step is enough for them to get it; a long one only makes a caller wait when the
   * agent turns busy in between.
   */
  preferredAgentSeconds: number;
  /**
   * The agent status names last-agent-lookup counts as "can take a call now" (`PREFER_AGENT_STATUSES`);
   * empty (default): the available status alone.
   */
  preferAgentStatuses: string[];
  /** Prefer the remembered agent when their state cannot be read (`PREFER_ON_ERROR`; default false). */
  preferOnError: boolean;
  /** routing=standard: ask a returning caller (one digit, 1 = yes) whether to wait for their last agent. */
  askReturningCaller: boolean;
  /** routing=direct: how long a call waits in the agent's queue before it moves to the standard queue (10..600 s). */
  agentQueueSeconds: number;
  /**
   * The holiday list's age, in days (1..90), past which the holiday-list alarm tells the alert
   * topic: holiday-check answered from a list whose `generatedAt` is older.
   */
  maxHolidayListAgeDays: number;
  /**
   * The share of last-agent-lookup's (and of agent-picker's) answers that may be errors, in
   * percent (1..100), before their error-share alarms tell the alert topic.
   */
  lookupErrorPercent: number;
}

/**
 * The parts of the suite. `holidays`: holiday-fetcher, holiday-check and the inbound flow's
 * holiday step. `returningCallers`: the assignments table, last-agent-lookup, assignment-recorder
 * (and agent-picker with `routing=direct`) and the inbound flow's lookup. `campaign`: the
 * customers and do-not-call tables, ivr-choice-recorder, campaign-dialer and the outbound flow.
 * The holiday list (its bucket and holiday-fetcher) comes with `holidays` or `campaign`: the
 * dialer never calls on a holiday. The inbound flow comes with `holidays` or `returningCallers`.
 */
export interface Features {
  holidays: boolean;
  returningCallers: boolean;
  campaign: boolean;
}

export const FEATURES = ['holidays', 'returningCallers', 'campaign'] as const;

/** `sites`, parsed. */
export interface Sites {
  /** What holiday-fetcher gets as `SITES`: the list as given, in compact JSON. */
  json: string;
  sites: SiteSpec[];
}

export interface SiteSpec {
  /** Trimmed, as holiday-fetcher reads it. */
  name: string;
  calendars: { url: string; timedWindows: boolean }[];
  /** As given (IDs or ARNs). */
  hoursOfOperationIds: string[];
  /** As given (an ID or an ARN): the parent of `hoursOfOperationIds`, which holds the site's overrides. */
  holidayHoursOfOperationId?: string;
  /** Outbound Campaigns v2 campaigns whose restricted periods follow the site's list. */
  outboundCampaignIds: string[];
}

/** The site of the single-site settings (holiday-fetcher's `DEFAULT_SITE`). */
export const DEFAULT_SITE = 'default';

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
const HOURS_OF_OPERATION = /^([0-9a-f-]{36}|arn:aws[a-z-]*:connect:.+\/operating-hours\/[0-9a-f-]{36})$/;
/** A site name as holiday-fetcher's parser accepts it (connect-core `sites.rs`). */
const SITE_NAME = /^[a-z0-9_-]{1,64}$/;
const HTTP_URL = /^https?:\/\//;
/** The keys of a site, as holiday-fetcher's parser knows them (it refuses any other). */
const SITE_KEYS = [
  'name', 'calendars', 'includeObservances', 'closures', 'timeZone', 'hoursOfOperationIds', 'holidayHoursOfOperationId', 'defaultName',
  'outboundCampaignIds',
];
const CALENDAR_KEYS = ['url', 'timedWindows'];
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
    throw new SettingsError(`setting ${name}=${JSON.stringify(value)}: expected ${expected}`);
  }
  return value;
}

function required(name: string, value: string | undefined, pattern: RegExp, expected: string): string {
  const ok = checked(name, value, pattern, expected);
  if (ok === undefined) throw new SettingsError(`setting ${name} is required: ${expected}`);
  return ok;
}

/** A comma-separated value (or, from a config file, a JSON list of strings) as its non-blank items. */
function list(read: ContextReader, name: string): string[] {
  const value = read(name);
  const items = Array.isArray(value) ? value.map(String) : (text(read, name) ?? '').split(',');
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
/** The model's `CampaignId`: 1 to 256 of a-z, A-Z, 0-9, '-', ':' and '/'. */
const CAMPAIGN_ID = /^[-:/a-zA-Z0-9]{1,256}$/;

/**
 * `features`: an object of booleans (`{"holidays": true, "campaign": false}`, missing ones on), or
 * on the command line the list of the parts wanted (`-c features=holidays,campaign`).
 */
function features(read: ContextReader): Features {
  const value = read('features');
  const all: Features = { holidays: true, returningCallers: true, campaign: true };
  if (value === undefined || value === null || value === '') return all;
  if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, on] of Object.entries(value as Record<string, unknown>)) {
      if (!(FEATURES as readonly string[]).includes(key)) {
        throw new SettingsError(`setting features: unknown feature ${JSON.stringify(key)}; the features are ${FEATURES.join(', ')}`);
      }
      if (typeof on !== 'boolean') throw new SettingsError(`setting features.${key}: expected true or false`);
      all[key as keyof Features] = on;
    }
    return all;
  }
  const wanted = list(read, 'features');
  for (const name of wanted) {
    if (!(FEATURES as readonly string[]).includes(name)) {
      throw new SettingsError(`setting features: unknown feature ${JSON.stringify(name)}; the features are ${FEATURES.join(', ')}`);
    }
  }
  return { holidays: wanted.includes('holidays'), returningCallers: wanted.includes('returningCallers'), campaign: wanted.includes('campaign') };
}

/** Whole seconds within `min..max`; `fallback` when unset. */
function seconds(read: ContextReader, name: string, min: number, max: number, fallback: number): number {
  const value = text(read, name);
  if (value === undefined) return fallback;
  if (!/^[0-9]{1,4}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new SettingsError(`setting ${name}=${JSON.stringify(value)}: expected whole seconds, ${min} to ${max}`);
  }
  return Number(value);
}

/** A whole number within `min..max` (`what`: how the message names it); `fallback` when unset. */
function whole(read: ContextReader, name: string, min: number, max: number, fallback: number, what: string): number {
  const value = text(read, name);
  if (value === undefined) return fallback;
  if (!/^[0-9]{1,6}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new SettingsError(`setting ${name}=${JSON.stringify(value)}: expected ${what}, ${min} to ${max}`);
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
        `setting callingHours: ${JSON.stringify(range)} must end after it starts (for hours past midnight, add a range from 00:00 on the next day)`,
      );
    }
  }
  return value;
}

function flag(read: ContextReader, name: string, fallback: boolean): boolean {
  const value = text(read, name);
  if (value === undefined) return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new SettingsError(`setting ${name}=${JSON.stringify(value)}: expected true or false`);
}

/**
 * The ID of an hours of operation given as an ID or an ARN (the part after `/operating-hours/`,
 * as holiday-fetcher reads it). An ARN must be of the instance the stack serves: the function
 * works on that instance, and its permissions name that instance's hours of operation.
 */
function hoursOfOperationId(reference: string, instanceArn: string, error: (why: string) => string): string {
  if (!reference.startsWith('arn:')) return reference;
  if (!reference.startsWith(`${instanceArn}/operating-hours/`)) {
    throw new SettingsError(error(`${JSON.stringify(reference)} is not an hours of operation of ${instanceArn}`));
  }
  return reference.slice(`${instanceArn}/operating-hours/`.length);
}

/** Each site's hours of operation (IDs): its `hoursOfOperationIds` and its holiday hours of operation. */
function sitesHours(settings: Settings): { ids: string[]; holiday?: string }[] {
  const given = settings.sites
    ? settings.sites.sites
    : [{ hoursOfOperationIds: settings.hoursOfOperationIds, holidayHoursOfOperationId: settings.holidayHoursOfOperationId }];
  const id = (reference: string) => hoursOfOperationId(reference, settings.connectInstanceArn, (why) => why);
  return given.map((s) => ({
    ids: s.hoursOfOperationIds.map(id),
    holiday: s.holidayHoursOfOperationId === undefined ? undefined : id(s.holidayHoursOfOperationId),
  }));
}

/**
 * Every hours of operation (IDs) holiday-fetcher keeps overrides on, each once, in order: a
 * site's holiday hours of operation, or without one its hours of operation (the children of a
 * holiday hours of operation inherit its overrides and get none of their own).
 */
export function managedHoursOfOperationIds(settings: Settings): string[] {
  return [...new Set(sitesHours(settings).flatMap((s) => (s.holiday !== undefined ? [s.holiday] : s.ids)))];
}

/**
 * The hours of operation (IDs) holiday-fetcher links, each once, in order: every holiday hours
 * of operation with children, and those children. None when no site has both.
 */
export function linkedHoursOfOperationIds(settings: Settings): string[] {
  const linked = sitesHours(settings).filter((s) => s.holiday !== undefined && s.ids.length > 0);
  return [...new Set(linked.flatMap((s) => [s.holiday as string, ...s.ids]))];
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * `sites`: holiday-fetcher's `SITES`, checked as its parser (connect-core `sites.rs`) checks it,
 * so that a deploy cannot hand the function a list it refuses at init: a non-empty JSON list of
 * objects with only the known keys, each of the type the parser reads; names of a-z, 0-9, '-'
 * and '_' (1 to 64, after trimming), each once; calendars http(s) URLs, as strings or
 * `{"url": ..., "timedWindows": true}`; hours of operation IDs or ARNs of this instance, each
 * kept in step by one site only (two sites on one hours of operation would undo each other's
 * overrides on every run); a holiday hours of operation likewise, of one site only, and neither
 * one of its own site's hours of operation nor another site's (in Connect an hours of operation
 * is a parent or a child, never both). Closures and time zones are only checked to be strings:
 * the function parses them at init. In cdk.json the list may also be given as JSON itself rather
 * than a string.
 */
function sitesFrom(read: ContextReader, instanceArn: string): Sites | undefined {
  const value = read('sites');
  let parsed: unknown;
  if (typeof value === 'string' || value === undefined || value === null) {
    const given = text(read, 'sites');
    if (given === undefined) return undefined;
    try {
      parsed = JSON.parse(given);
    } catch (e) {
      // The cdk CLI keeps a `-c name=value` only up to the value's first line break.
      throw new SettingsError(
        `setting sites: not JSON (${(e as Error).message}); expected a JSON list of sites such as [{"name": "tokyo", "calendars": ["https://..."]}], as a list in the config file (with -c, on one line: the cdk CLI drops what follows a line break)`,
      );
    }
  } else {
    parsed = value;
  }
  if (!Array.isArray(parsed)) {
    throw new SettingsError('setting sites: not a JSON list of sites; expected a JSON list such as [{"name": "tokyo", "calendars": ["https://..."]}]');
  }
  if (parsed.length === 0) throw new SettingsError('setting sites: the list of sites is empty');
  const names = new Set<string>();
  const hoursBy = new Map<string, string>();
  // The holiday hours of operation (IDs) of the sites read so far, and whose each is.
  const holidayBy = new Map<string, string>();
  // The Outbound Campaigns v2 campaigns of the sites read so far, and whose each is.
  const campaignBy = new Map<string, string>();
  const sites = parsed.map((raw, index): SiteSpec => {
    const where = isObject(raw) && typeof raw.name === 'string' ? `site ${JSON.stringify(raw.name.trim())}` : `site ${index + 1}`;
    const invalid = (why: string) => new SettingsError(`setting sites: ${where}: ${why}`);
    if (!isObject(raw)) throw invalid('not a JSON object');
    const unknown = Object.keys(raw).filter((k) => !SITE_KEYS.includes(k));
    if (unknown.length) throw invalid(`unknown key ${JSON.stringify(unknown[0])}; the keys are ${SITE_KEYS.join(', ')}`);
    if (typeof raw.name !== 'string') throw invalid('"name" is required, a string');
    const name = raw.name.trim();
    if (!SITE_NAME.test(name)) throw invalid("the name may hold only a-z, 0-9, '-' and '_' (1 to 64)");
    if (names.has(name)) throw invalid('named twice');
    names.add(name);
    const kind = (key: string, type: 'boolean' | 'string', nullable: boolean) => {
      const v = raw[key];
      if (v === undefined || (nullable && v === null) || typeof v === type) return;
      throw invalid(`"${key}" must be ${type === 'boolean' ? 'true or false' : 'a string'}`);
    };
    kind('includeObservances', 'boolean', false);
    kind('closures', 'string', false);
    kind('timeZone', 'string', true);
    kind('defaultName', 'string', true);
    kind('holidayHoursOfOperationId', 'string', true);
    const strings = (key: string): unknown[] => {
      const v = raw[key];
      if (v === undefined) return [];
      if (!Array.isArray(v)) throw invalid(`"${key}" must be a list`);
      return v;
    };
    const calendars = strings('calendars').map((c) => {
      let calendar: { url: string; timedWindows: boolean };
      if (typeof c === 'string') {
        calendar = { url: c, timedWindows: false };
      } else if (isObject(c) && typeof c.url === 'string' && (c.timedWindows === undefined || typeof c.timedWindows === 'boolean')) {
        const extra = Object.keys(c).filter((k) => !CALENDAR_KEYS.includes(k));
        if (extra.length) throw invalid(`calendar ${JSON.stringify(c.url)}: unknown key ${JSON.stringify(extra[0])}; the keys are ${CALENDAR_KEYS.join(', ')}`);
        calendar = { url: c.url, timedWindows: c.timedWindows === true };
      } else {
        throw invalid(`calendar ${JSON.stringify(c)}: expected a URL or {"url": "https://...", "timedWindows": true}`);
      }
      if (!HTTP_URL.test(calendar.url)) throw invalid(`calendar ${JSON.stringify(calendar.url)} is not an http(s) URL`);
      return calendar;
    });
    const hoursOfOperationIds = strings('hoursOfOperationIds').map((r) => {
      if (typeof r !== 'string' || !HOURS_OF_OPERATION.test(r.trim())) {
        throw invalid(`${JSON.stringify(r)} is not an hours of operation ID or ARN`);
      }
      const reference = r.trim();
      const id = hoursOfOperationId(reference, instanceArn, (why) => `setting sites: ${where}: ${why}`);
      const other = hoursBy.get(id);
      if (other !== undefined && other !== name) {
        throw invalid(`hours of operation ${id} is also site ${JSON.stringify(other)}'s: each hours of operation follows one site's list`);
      }
      const parentOf = holidayBy.get(id);
      if (parentOf !== undefined) {
        throw invalid(
          `hours of operation ${id} is site ${JSON.stringify(parentOf)}'s holidayHoursOfOperationId: in Connect an hours of operation is a parent or a child, never both`,
        );
      }
      hoursBy.set(id, name);
      return reference;
    });
    const outboundCampaignIds = strings('outboundCampaignIds').map((c) => {
      if (typeof c !== 'string' || !CAMPAIGN_ID.test(c.trim())) throw invalid(`${JSON.stringify(c)} is not an Outbound Campaigns v2 campaign ID`);
      const other = campaignBy.get(c.trim());
      if (other !== undefined && other !== name) {
        throw invalid(`campaign ${c.trim()} is also site ${JSON.stringify(other)}'s: a campaign's restricted periods follow one site's list`);
      }
      campaignBy.set(c.trim(), name);
      return c.trim();
    });
    const holiday = raw.holidayHoursOfOperationId;
    if (typeof holiday !== 'string') return { name, calendars, hoursOfOperationIds, outboundCampaignIds };
    if (!HOURS_OF_OPERATION.test(holiday.trim())) {
      throw invalid(`"holidayHoursOfOperationId": ${JSON.stringify(holiday)} is not an hours of operation ID or ARN`);
    }
    const holidayHoursOfOperationId = holiday.trim();
    const id = hoursOfOperationId(holidayHoursOfOperationId, instanceArn, (why) => `setting sites: ${where}: ${why}`);
    const children = hoursOfOperationIds.map((r) => hoursOfOperationId(r, instanceArn, (why) => why));
    if (children.includes(id)) {
      throw invalid(`the holiday hours of operation ${id} cannot also be one of its children (hoursOfOperationIds)`);
    }
    const sharedWith = holidayBy.get(id);
    if (sharedWith !== undefined) {
      throw invalid(
        `holiday hours of operation ${id} is also site ${JSON.stringify(sharedWith)}'s: each holiday hours of operation holds one site's list (two sites on it would undo each other's overrides)`,
      );
    }
    const childOf = hoursBy.get(id);
    if (childOf !== undefined) {
      throw invalid(
        `holiday hours of operation ${id} is one of site ${JSON.stringify(childOf)}'s hoursOfOperationIds: in Connect an hours of operation is a parent or a child, never both`,
      );
    }
    holidayBy.set(id, name);
    return { name, calendars, hoursOfOperationIds, holidayHoursOfOperationId, outboundCampaignIds };
  });
  return { json: JSON.stringify(parsed), sites };
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
    throw new SettingsError(`setting queueArn must be a queue of ${connectInstanceArn}`);
  }
  const [, , , instanceRegion, account] = connectInstanceArn.split(':');
  const region = text(read, 'region') ?? instanceRegion;
  if (region !== instanceRegion) {
    throw new SettingsError(
      `setting region=${JSON.stringify(region)}: the instance is in ${instanceRegion}, and Connect invokes only functions of its own Region; leave region out or set ${instanceRegion}`,
    );
  }
  const stackName = checked('stackName', text(read, 'stackName'), STACK_NAME, 'a CloudFormation stack name: a letter, then letters, digits and - (at most 128)') ?? 'ConnectLambdas';
  const parts = features(read);
  if (!parts.holidays && !parts.returningCallers && !parts.campaign) {
    throw new SettingsError(`setting features: every feature is off, so there is nothing to deploy; turn on one of ${FEATURES.join(', ')}`);
  }
  const calendarUrls = list(read, 'calendarUrls');
  for (const url of calendarUrls) {
    checked('calendarUrls', url, /^https?:\/\/\S+$/, 'comma-separated http(s) URLs');
  }
  const hoursOfOperationIds = list(read, 'hoursOfOperationIds');
  for (const reference of hoursOfOperationIds) {
    checked('hoursOfOperationIds', reference, HOURS_OF_OPERATION, 'comma-separated hours of operation IDs or ARNs');
    hoursOfOperationId(reference, connectInstanceArn, (why) => `setting hoursOfOperationIds: ${why}`);
  }
  const holidayHoursOfOperationId = checked(
    'holidayHoursOfOperationId',
    text(read, 'holidayHoursOfOperationId'),
    HOURS_OF_OPERATION,
    'an hours of operation ID or ARN',
  );
  if (holidayHoursOfOperationId !== undefined) {
    const id = hoursOfOperationId(holidayHoursOfOperationId, connectInstanceArn, (why) => `setting holidayHoursOfOperationId: ${why}`);
    if (hoursOfOperationIds.some((r) => hoursOfOperationId(r, connectInstanceArn, (why) => why) === id)) {
      throw new SettingsError(
        `setting holidayHoursOfOperationId: the holiday hours of operation ${id} cannot also be one of its children (hoursOfOperationIds)`,
      );
    }
  }
  const sites = sitesFrom(read, connectInstanceArn);
  if (sites) {
    const single: [string, boolean][] = [
      ['calendarUrls', calendarUrls.length > 0],
      ['closedDates', text(read, 'closedDates') !== undefined],
      ['hoursOfOperationIds', hoursOfOperationIds.length > 0],
      ['holidayHoursOfOperationId', holidayHoursOfOperationId !== undefined],
    ];
    for (const [name, given] of single) {
      if (given) {
        throw new SettingsError(
          `setting sites and ${name} are both set: sites replaces the single-site settings (calendarUrls, closedDates, hoursOfOperationIds, holidayHoursOfOperationId); give each site its own calendars, closures, hoursOfOperationIds and holidayHoursOfOperationId instead`,
        );
      }
    }
  }
  const names = sites ? sites.sites.map((s) => s.name) : [DEFAULT_SITE];
  const site = text(read, 'site') ?? names[0];
  if (!names.includes(site)) {
    throw new SettingsError(
      sites
        ? `setting site=${JSON.stringify(site)}: not one of the sites (${names.join(', ')})`
        : `setting site=${JSON.stringify(site)}: without sites the only site is "${DEFAULT_SITE}"`,
    );
  }
  const horizon = checked('overrideHorizonDays', text(read, 'overrideHorizonDays'), /^[0-9]{1,4}$/, 'whole days, 1 to 1095');
  if (horizon !== undefined && (Number(horizon) < 1 || Number(horizon) > 1095)) {
    throw new SettingsError(`setting overrideHorizonDays=${horizon}: expected 1 to 1095 days`);
  }
  const minConnected = checked('minConnectedSeconds', text(read, 'minConnectedSeconds'), /^[0-9]{1,4}$/, 'whole seconds, 0 to 3600');
  if (minConnected !== undefined && Number(minConnected) > 3600) {
    throw new SettingsError(`setting minConnectedSeconds=${minConnected}: expected 0 to 3600 seconds`);
  }
  // Upper-cased as assignment-recorder reads them; each once.
  const recordInitiationMethods = [...new Set(list(read, 'recordInitiationMethods').map((m) => m.toUpperCase()))];
  for (const method of recordInitiationMethods) {
    if (!INITIATION_METHODS.includes(method)) {
      throw new SettingsError(
        `setting recordInitiationMethods: ${JSON.stringify(method)} is not one of ${INITIATION_METHODS.join(', ')}`,
      );
    }
  }
  const routing = text(read, 'routing') ?? 'standard';
  if (!(ROUTINGS as readonly string[]).includes(routing)) {
    throw new SettingsError(`setting routing=${JSON.stringify(routing)}: expected ${ROUTINGS.join(' or ')}`);
  }
  if (routing === 'direct' && !parts.returningCallers) {
    throw new SettingsError('setting routing=direct is the returning-caller routing: it needs features.returningCallers');
  }
  const dialerEngine = text(read, 'dialerEngine') ?? 'direct';
  if (dialerEngine !== 'direct' && dialerEngine !== 'campaigns-v2') {
    throw new SettingsError(`setting dialerEngine=${JSON.stringify(dialerEngine)}: expected direct or campaigns-v2`);
  }
  const outboundCampaignId = checked('outboundCampaignId', text(read, 'outboundCampaignId'), CAMPAIGN_ID, 'an Outbound Campaigns v2 campaign ID');
  if (dialerEngine === 'campaigns-v2' && outboundCampaignId === undefined) {
    throw new SettingsError('setting outboundCampaignId is required with dialerEngine=campaigns-v2: the campaign the due rows are handed to');
  }
  const outboundCampaignIds = [...new Set(list(read, 'outboundCampaignIds'))];
  for (const id of outboundCampaignIds) checked('outboundCampaignIds', id, CAMPAIGN_ID, 'comma-separated Outbound Campaigns v2 campaign IDs');
  if (outboundCampaignIds.length && sites) {
    throw new SettingsError('setting sites and outboundCampaignIds are both set: give each site its own outboundCampaignIds instead');
  }
  const voiceEngine = text(read, 'voiceEngine') ?? 'Neural';
  if (voiceEngine !== 'Neural' && voiceEngine !== 'Standard') {
    throw new SettingsError(`setting voiceEngine=${JSON.stringify(voiceEngine)}: expected Neural or Standard`);
  }
  return {
    language: checked('language', text(read, 'language'), /^[a-z]{2}-[A-Z]{2}$/, 'a language such as ja-JP or en-US') ?? 'ja-JP',
    voice: checked('voice', text(read, 'voice'), /^[A-Za-z-]{2,40}$/, 'an Amazon Polly voice name such as Joanna or Takumi'),
    voiceEngine,
    stackName,
    account,
    region,
    features: parts,
    routing: routing as Routing,
    preferredAgentSeconds: seconds(read, 'preferredAgentSeconds', 5, 600, 15),
    preferAgentStatuses: [...new Set(list(read, 'preferAgentStatuses'))],
    preferOnError: flag(read, 'preferOnError', false),
    askReturningCaller: flag(read, 'askReturningCaller', false),
    agentQueueSeconds: seconds(read, 'agentQueueSeconds', 10, 600, 60),
    hoursOfOperationIds,
    holidayHoursOfOperationId,
    sites,
    site,
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
    dialerEngine,
    outboundCampaignId,
    outboundCampaignIds,
    retryAfterMinutes: whole(read, 'retryAfterMinutes', 1, 10080, 60, 'whole minutes'),
    maxAttempts: whole(read, 'maxAttempts', 1, 10, 3, 'a whole number of calls'),
    maxHolidayListAgeDays: whole(read, 'maxHolidayListAgeDays', 1, 90, 8, 'whole days'),
    lookupErrorPercent: whole(read, 'lookupErrorPercent', 1, 100, 5, 'a whole percentage'),
    minConnectedSeconds: minConnected === undefined ? 0 : Number(minConnected),
    recordInitiationMethods: recordInitiationMethods.length ? recordInitiationMethods : ['INBOUND'],
  };
}
