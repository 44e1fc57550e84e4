// The CDK app: `make synth` (offline) and `make deploy`. Settings come from a config file
// (`-c config=<file>`, lib/config.ts) and CDK context; see lib/settings.ts and docs/deploy.md.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { App, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';

import { configReader, readConfigFile } from '../lib/config';
import { ConnectLambdasStack } from '../lib/stack';
import { SettingsError, settingsFrom } from '../lib/settings';

const root = path.resolve(__dirname, '..', '..');
const app = new App();
// cdk-nag's AwsSolutions rules run at every synth and deploy: a finding without an
// acknowledgment (lib/stack.ts, each with its reason) stops it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

/**
 * The binaries `cargo lambda build --release --arm64` left in target/lambda/<name>. With
 * `-c placeholderAssets=true` (offline synth before any build) every function gets a stand-in
 * that cannot be deployed by mistake: its bootstrap only exits with an error.
 */
function packages(placeholders: boolean): (name: string) => lambda.Code {
  if (placeholders) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connect-lambdas-placeholder-'));
    fs.writeFileSync(path.join(dir, 'bootstrap'), '#!/bin/sh\necho "placeholder package: run make deploy" >&2\nexit 1\n', {
      mode: 0o755,
    });
    return () => lambda.Code.fromAsset(dir);
  }
  return (name) => {
    const dir = path.join(root, 'target', 'lambda', name);
    if (!fs.existsSync(path.join(dir, 'bootstrap'))) {
      throw new SettingsError(`${dir}/bootstrap is missing: run \`make lambda\` first (or synth with -c placeholderAssets=true)`);
    }
    return lambda.Code.fromAsset(dir);
  };
}

try {
  // `-c config=<file>` (make deploy CONFIG=<file>): the deployment's settings; `-c name=value` wins.
  const file = app.node.tryGetContext('config');
  const config = typeof file === 'string' && file !== '' ? readConfigFile(path.resolve(file)) : {};
  const settings = settingsFrom(configReader((name) => app.node.tryGetContext(name), config));
  new ConnectLambdasStack(app, settings.stackName, {
    description: 'connect-lambdas: Lambda functions, storage and flows for an Amazon Connect instance',
    settings,
    code: packages(app.node.tryGetContext('placeholderAssets') === 'true'),
    flowsDir: path.join(root, 'infra', 'flows'),
    // The instance's account and Region: Connect invokes functions of its own Region only.
    env: { account: settings.account, region: settings.region },
  });
} catch (error) {
  if (error instanceof SettingsError) {
    console.error(`connect-lambdas: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
