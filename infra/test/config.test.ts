// The deployment's config file (lib/config.ts): what it accepts, what it refuses and how it names
// the key, and that infra/config.example.json is a configuration the stack deploys.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { CONFIG_KEYS, closestKey, configReader, readConfigFile } from '../lib/config';
import { SettingsError, settingsFrom } from '../lib/settings';
import { INSTANCE_ARN, QUEUE_ARN, ROOT } from './support';

const EXAMPLE = path.join(ROOT, 'infra', 'config.example.json');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connect-lambdas-config-'));
/** A config file holding `config`, read and turned into settings. */
const deploy = (config: unknown, cli: Record<string, unknown> = {}) => {
  const file = path.join(dir, 'config.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return settingsFrom(configReader((name) => cli[name], readConfigFile(file)));
};
const refused = (config: unknown, message: RegExp) =>
  assert.throws(() => deploy(config), (e: unknown) => e instanceof SettingsError && message.test(e.message), message.source);
const base = { connectInstanceArn: INSTANCE_ARN, queueArn: QUEUE_ARN };

describe('config file', () => {
  it('the example is valid: its stack, Region, account and settings', () => {
    const settings = settingsFrom(configReader(() => undefined, readConfigFile(EXAMPLE)));
    assert.equal(settings.stackName, 'ConnectLambdas');
    assert.deepEqual([settings.account, settings.region], ['111122223333', 'ap-northeast-1']);
    assert.deepEqual(settings.features, { holidays: true, returningCallers: true, campaign: true });
    assert.equal(settings.calendarUrls.length, 1);
    assert.deepEqual([settings.preferredAgentSeconds, settings.maxAttempts, settings.closedDates], [15, 3, '12-29..01-03, 12-28 15:00-24:00']);
  });

  it('every key the settings read is a config key, and every config key is read', () => {
    const read = new Set<string>();
    settingsFrom((name) => {
      read.add(name);
      return ({ ...base } as Record<string, string>)[name];
    });
    assert.deepEqual([...read].sort(), [...CONFIG_KEYS].sort());
  });

  it('lists, numbers and booleans as JSON; the command line wins over the file', () => {
    const settings = deploy({ ...base, calendarUrls: ['https://a.test/x.ics', 'https://b.test/y.ics'], maxAttempts: 5, askReturningCaller: true });
    assert.deepEqual([settings.calendarUrls, settings.maxAttempts, settings.askReturningCaller], [['https://a.test/x.ics', 'https://b.test/y.ics'], 5, true]);
    assert.equal(deploy({ ...base, maxAttempts: 5 }, { maxAttempts: '2' }).maxAttempts, 2);
    assert.equal(deploy({ ...base, stackName: 'ConnectLambdas-Staging' }).stackName, 'ConnectLambdas-Staging');
  });

  it('refuses an unknown key with the one it most likely meant, and a bad value naming its key', () => {
    refused({ ...base, queuArn: QUEUE_ARN }, /unknown key "queuArn" \(did you mean "queueArn"\?\)/);
    refused({ ...base, TimeZone: 'Asia/Tokyo' }, /unknown key "TimeZone" \(did you mean "timeZone"\?\)/);
    refused({ ...base, colour: 'blue' }, /unknown key "colour"; the keys are listed in docs\/deploy.md/);
    refused({ ...base, maxAttempts: 50 }, /setting maxAttempts="50": expected a whole number of calls, 1 to 10/);
    refused({ connectInstanceArn: INSTANCE_ARN }, /setting queueArn is required/);
    refused({ ...base, stackName: '9lives' }, /setting stackName="9lives"/);
    refused({ ...base, region: 'us-east-1' }, /setting region="us-east-1": the instance is in ap-northeast-1/);
    refused([base], /expected one JSON object of settings/);
    assert.equal(closestKey('xyz'), undefined);
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, '{"queueArn": ');
    assert.throws(() => readConfigFile(file), /config .*broken.json: not JSON/);
    assert.throws(() => readConfigFile(path.join(dir, 'missing.json')), /config .*missing.json: cannot be read/);
  });

  it('features: each part alone, never none, and the direct routing only with returning callers', () => {
    assert.deepEqual(deploy({ ...base, features: { campaign: false } }).features, { holidays: true, returningCallers: true, campaign: false });
    assert.deepEqual(deploy(base, { features: 'campaign' }).features, { holidays: false, returningCallers: false, campaign: true });
    refused({ ...base, features: { holidays: false, returningCallers: false, campaign: false } }, /every feature is off/);
    refused({ ...base, features: { routing: true } }, /unknown feature "routing"/);
    refused({ ...base, features: { campaign: 'no' } }, /setting features.campaign: expected true or false/);
    refused({ ...base, features: { returningCallers: false }, routing: 'direct' }, /routing=direct .* needs features.returningCallers/);
  });
});
