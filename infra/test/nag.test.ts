// cdk-nag's AwsSolutions rules over the synthesized stack, as `cdk synth` runs them (bin/app.ts):
// no finding without an acknowledgment, and each acknowledgment says why in lib/stack.ts.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { App, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';

import { ConnectLambdasStack } from '../lib/stack';
import { CDK_FLAGS, ROOT, settings } from './support';

const placeholder = fs.mkdtempSync(path.join(os.tmpdir(), 'connect-lambdas-nag-'));
fs.writeFileSync(path.join(placeholder, 'bootstrap'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });

/** The findings cdk-nag reports for the stack with these settings (empty: synth passed). */
function findings(context: Record<string, string>, change?: (stack: ConnectLambdasStack) => void): string[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'connect-lambdas-nag-out-'));
  const app = new App({ context: CDK_FLAGS, outdir });
  const stack = new ConnectLambdasStack(app, 'ConnectLambdas', {
    settings: settings(context),
    code: () => lambda.Code.fromAsset(placeholder),
    flowsDir: path.join(ROOT, 'infra', 'flows'),
    env: { account: '123456789012', region: 'ap-northeast-1' },
  });
  change?.(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
    return [];
  } catch {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    return report.pluginReports.flatMap((r: any) => r.violations.map((v: any) => v.ruleName));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

const HOURS = '33333333-4444-5555-6666-777777777777';

describe('cdk-nag (AwsSolutions)', () => {
  const variants: [string, Record<string, string>][] = [
    ['the defaults', {}],
    ['every optional part', { alertEmail: 'ops@example.com', dialerSchedule: 'rate(5 minutes)', hoursOfOperationIds: HOURS, minConnectedSeconds: '30' }],
    ['routing=direct', { routing: 'direct' }],
    ['the campaign alone', { features: 'campaign' }],
    ['returning callers alone', { features: 'returningCallers' }],
    ['holidays alone', { features: 'holidays' }],
    ['Outbound Campaigns v2', { dialerEngine: 'campaigns-v2', outboundCampaignId: 'spring-v2', outboundCampaignIds: 'spring-v2' }],
  ];
  for (const [name, context] of variants) {
    it(`finds nothing unacknowledged with ${name}`, () => {
      assert.deepEqual(findings(context), []);
    });
  }

  it('does run: a bucket added without access logs is found', () => {
    const found = findings({}, (stack) => new s3.Bucket(stack, 'Unlogged', { enforceSSL: true }));
    assert.deepEqual(found, ['AwsSolutions-S1']);
  });
});
