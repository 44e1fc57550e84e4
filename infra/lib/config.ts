// One configuration file for a deployment (`make deploy CONFIG=infra/config.json`): the settings
// of lib/settings.ts as one JSON object, every key documented in docs/deploy.md and shown in
// infra/config.example.json. `-c name=value` on the command line still works and wins over the
// file, so a one-off change needs no edit.

import * as fs from 'node:fs';

import { ContextReader, SettingsError } from './settings';

/** Every key a configuration may hold: what `settingsFrom` reads, and nothing else. */
export const CONFIG_KEYS = [
  'stackName',
  'region',
  'features',
  'language',
  'voice',
  'voiceEngine',
  'connectInstanceArn',
  'queueArn',
  'alertEmail',
  'timeZone',
  'holidaySchedule',
  'calendarUrls',
  'closedDates',
  'hoursOfOperationIds',
  'holidayHoursOfOperationId',
  'overrideHorizonDays',
  'sites',
  'site',
  'maxHolidayListAgeDays',
  'routing',
  'preferredAgentSeconds',
  'preferAgentStatuses',
  'preferOnError',
  'askReturningCaller',
  'agentQueueSeconds',
  'minConnectedSeconds',
  'recordInitiationMethods',
  'lookupErrorPercent',
  'campaign',
  'dialerSchedule',
  'campaignSourceNumber',
  'callingHours',
  'retryAfterMinutes',
  'maxAttempts',
  'reserveDialerConcurrency',
  'dialerEngine',
  'outboundCampaignId',
  'outboundCampaignIds',
] as const;

/** Edit distance, for "did you mean" (case-insensitive, so `queuearn` finds `queueArn`). */
function distance(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  let row = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[y.length];
}

/** The known key closest to `key`, when one is close enough to be a typo of it. */
export function closestKey(key: string): string | undefined {
  const [best] = [...CONFIG_KEYS].sort((a, b) => distance(key, a) - distance(key, b));
  return distance(key, best) <= Math.max(2, Math.floor(best.length / 4)) ? best : undefined;
}

/**
 * The configuration in `file`: a JSON object of known keys (an unknown one is refused, with the
 * key it most likely meant). Keys starting with `//` are comments and are skipped.
 */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new SettingsError(`config ${file}: cannot be read (${(e as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SettingsError(`config ${file}: not JSON (${(e as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new SettingsError(`config ${file}: expected one JSON object of settings, such as {"connectInstanceArn": "...", "queueArn": "..."}`);
  }
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (key.startsWith('//')) continue;
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      const near = closestKey(key);
      throw new SettingsError(
        `config ${file}: unknown key ${JSON.stringify(key)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; the keys are listed in docs/deploy.md`,
      );
    }
    config[key] = value;
  }
  return config;
}

/** Reads a setting from the command line's context first, then from the configuration file. */
export function configReader(cli: ContextReader, config: Record<string, unknown> = {}): ContextReader {
  return (name) => {
    const given = cli(name);
    return given === undefined || given === null || given === '' ? config[name] : given;
  };
}
