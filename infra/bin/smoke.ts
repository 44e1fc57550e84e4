// `make smoke CONFIG=infra/config.json` after a deploy (or `make smoke STACK=<name> REGION=<r>`):
// invokes each function of the stack once with its sample event through the AWS CLI and reports
// what answered (lib/smoke.ts). Exit status 1 when one did not answer.
//
//   npx --no-install ts-node --transpile-only bin/smoke.ts [--config <file>] [--stack <name>]
//     [--region <region>] [--aws <path to aws>] [--endpoint-url <url> --functions <a,b,...>]
//
// With --endpoint-url (an emulated Lambda, as `make test` runs it) the functions are named by
// --functions and CloudFormation is not asked.

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

import { configReader, readConfigFile } from '../lib/config';
import { SettingsError, settingsFrom } from '../lib/settings';
import { AwsCli, ROOT, functionsOfStack, report, smoke } from '../lib/smoke';
import { deploys } from '../lib/stack';
import { FUNCTIONS } from '../lib/functions';

function option(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

export function main(argv: string[]): number {
  const cli = option(argv, '--aws') ?? path.join(ROOT, '.venv-smoke', 'bin', 'aws');
  const aws: AwsCli = (args) => {
    const ran = spawnSync(cli, args, { encoding: 'utf8' });
    if (ran.error) return { status: 1, stdout: '', stderr: `${cli}: ${ran.error.message}` };
    return { status: ran.status ?? 1, stdout: ran.stdout, stderr: ran.stderr };
  };
  const endpointUrl = option(argv, '--endpoint-url');
  let region = option(argv, '--region');
  let functions: Record<string, string>;
  let expected: string[] | undefined;
  if (endpointUrl) {
    const names = (option(argv, '--functions') ?? '').split(',').filter(Boolean);
    functions = Object.fromEntries(names.map((name) => [name, name]));
  } else {
    let stack = option(argv, '--stack');
    const file = option(argv, '--config');
    if (file) {
      const settings = settingsFrom(configReader(() => undefined, readConfigFile(path.resolve(file))));
      stack ??= settings.stackName;
      region ??= settings.region;
      expected = FUNCTIONS.map((f) => f.name).filter((name) => deploys(name, settings));
    }
    if (!stack) {
      console.error('smoke: give --config <file> or --stack <name> (make smoke CONFIG=infra/config.json)');
      return 2;
    }
    const described = aws(['cloudformation', 'describe-stack-resources', '--stack-name', stack, '--output', 'json', ...(region ? ['--region', region] : [])]);
    if (described.status !== 0) {
      console.error(`smoke: cannot read stack ${stack}: ${described.stderr.trim()}`);
      return 1;
    }
    functions = functionsOfStack(described.stdout);
  }
  const results = smoke(aws, { functions, region, endpointUrl, expected });
  for (const line of report(results)) console.log(line);
  return results.every((r) => r.result === 'ok') ? 0 : 1;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(`smoke: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
}
