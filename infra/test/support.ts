// A stack built the way `bin/app.ts` builds it, with stand-in packages (no Rust build).

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';

import { Settings, settingsFrom } from '../lib/settings';
import { ConnectLambdasStack } from '../lib/stack';

export const ROOT = path.resolve(__dirname, '..', '..');
export const INSTANCE_ARN = 'arn:aws:connect:ap-northeast-1:123456789012:instance/11111111-2222-3333-4444-555555555555';
export const QUEUE_ARN = `${INSTANCE_ARN}/queue/66666666-7777-8888-9999-000000000000`;

const placeholder = fs.mkdtempSync(path.join(os.tmpdir(), 'connect-lambdas-test-'));
fs.writeFileSync(path.join(placeholder, 'bootstrap'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });

/** The settings under which the stack deploys all seven functions (agent-picker only with the direct routing). */
export const EVERY_FUNCTION: Record<string, string> = { routing: 'direct' };

export function settings(context: Record<string, string> = {}): Settings {
  const all: Record<string, string> = { connectInstanceArn: INSTANCE_ARN, queueArn: QUEUE_ARN, ...context };
  return settingsFrom((name) => all[name]);
}

/** The feature flags `cdk synth` and `cdk deploy` use (cdk.json's context), so tests see the same template. */
export const CDK_FLAGS: Record<string, unknown> = JSON.parse(fs.readFileSync(path.join(ROOT, 'infra', 'cdk.json'), 'utf8')).context;

export function synth(context: Record<string, string> = {}): { stack: ConnectLambdasStack; template: Template } {
  const app = new App({ context: CDK_FLAGS });
  const stack = new ConnectLambdasStack(app, 'ConnectLambdas', {
    settings: settings(context),
    code: () => lambda.Code.fromAsset(placeholder),
    flowsDir: path.join(ROOT, 'infra', 'flows'),
    env: { account: '123456789012', region: 'ap-northeast-1' },
  });
  return { stack, template: Template.fromStack(stack) };
}
