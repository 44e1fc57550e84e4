// `cargo lambda deploy` for one function (lib/lambda-deploy.ts, bin/lambda-deploy.ts, `make
// lambda-deploy`): the command each function gets, and its environment file
// (events/<function>/lambda.env) against the environment the stack gives the function.
//
// The files hold exactly the variables the synthesized stack sets, by default settings, with
// the same values where the stack's are known before deployment. None is left out as
// "stack-only": every one is read by the function's config loader, so a function deployed
// without the stack needs it too. CONTACT_FLOW_ID (campaign-dialer) is the stack's outbound flow;
// without the stack it is the flow imported from infra/flows/outbound-campaign.json. Variables the
// stack sets only for some settings (holiday-fetcher's CALENDAR_URLS, SITES, ...) are in the files
// commented out, and must be: a synth with those settings checks it.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { CfnElement, Token } from 'aws-cdk-lib';

import { Io, USAGE, main } from '../bin/lambda-deploy';
import { FUNCTIONS } from '../lib/functions';
import {
  DeployError,
  LOG_RETENTION_DAYS,
  RUNTIME,
  SAMPLE_ACCOUNT,
  defaultEnvFile,
  deployCommand,
  deployProblems,
  formatCommand,
  parseEnvFile,
  readEnvFile,
  shellQuote,
} from '../lib/lambda-deploy';
import { ENVIRONMENT_LIMIT_BYTES, environmentSize } from '../lib/stack';
import { EVERY_FUNCTION, INSTANCE_ARN, QUEUE_ARN, ROOT, synth } from './support';

const ROLE = 'arn:aws:iam::111122223333:role/connect-lambdas-holiday-check';

/** Each function's resource in a synthesized stack. */
function functionResources(context: Record<string, string> = EVERY_FUNCTION): Record<string, { Properties: Record<string, any> }> {
  const { stack, template } = synth(context);
  const resources = template.toJSON().Resources;
  return Object.fromEntries(
    FUNCTIONS.map((f) => [f.name, resources[stack.getLogicalId(stack.functions[f.name].node.defaultChild as CfnElement)]]),
  );
}

const DEFAULT = synth(EVERY_FUNCTION);
const DEFAULT_FUNCTIONS = functionResources();
const ENV_FILES = Object.fromEntries(FUNCTIONS.map((f) => [f.name, readEnvFile(defaultEnvFile(f.name))]));

function variables(resource: { Properties: Record<string, any> }): Record<string, unknown> {
  return resource.Properties.Environment?.Variables ?? {};
}

/** The value after `flag`, which must be given once. */
function flag(argv: string[], name: string): string {
  const at = argv.flatMap((arg, i) => (arg === name ? [i] : []));
  assert.equal(at.length, 1, `${name} in ${argv.join(' ')}`);
  return argv[at[0] + 1];
}

/** The words bash makes of a printed command (line continuations included). */
function bashWords(command: string): string[] {
  const script = `words() { printf '%s\\0' "$@"; }\n${command.replace(/^cargo /, 'words ')}`;
  const out = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  return ['cargo', ...out.stdout.split('\0').slice(0, -1)];
}

describe('the cargo lambda deploy command', () => {
  it('for every function: role, memory and timeout (seconds) from FUNCTIONS, as the stack has them, its env file, its binary', () => {
    for (const spec of FUNCTIONS) {
      const argv = deployCommand({ functionName: spec.name, roleArn: ROLE });
      const fn = DEFAULT_FUNCTIONS[spec.name].Properties;
      assert.deepEqual(argv.slice(0, 3), ['cargo', 'lambda', 'deploy']);
      assert.equal(flag(argv, '--iam-role'), ROLE);
      assert.equal(flag(argv, '--memory'), String(spec.memoryMb));
      assert.equal(flag(argv, '--memory'), String(fn.MemorySize), spec.name);
      assert.equal(flag(argv, '--timeout'), String(spec.timeout.toSeconds()));
      assert.equal(flag(argv, '--timeout'), String(fn.Timeout), spec.name);
      assert.equal(flag(argv, '--description'), spec.description);
      assert.equal(flag(argv, '--runtime'), RUNTIME);
      assert.equal(fn.Runtime, RUNTIME);
      // cargo-lambda reads the architecture from the binary: `make lambda` builds arm64, as the stack deploys.
      assert.deepEqual(fn.Architectures, ['arm64']);
      const envFile = flag(argv, '--env-file');
      assert.equal(envFile, `events/${spec.name}/lambda.env`);
      assert.ok(fs.statSync(path.join(ROOT, envFile)).isFile(), envFile);
      assert.equal(flag(argv, '--binary-name'), spec.name);
      assert.equal(argv[argv.length - 1], spec.name, 'the function name comes last');
      assert.ok(!argv.includes('--region') && !argv.includes('--profile'));
    }
  });

  it('keeps logs as long as the stack: --log-retention is the retention of each function log group', () => {
    const resources = DEFAULT.template.toJSON().Resources;
    for (const spec of FUNCTIONS) {
      const group = DEFAULT_FUNCTIONS[spec.name].Properties.LoggingConfig.LogGroup.Ref;
      assert.equal(resources[group].Properties.RetentionInDays, LOG_RETENTION_DAYS, spec.name);
      assert.equal(flag(deployCommand({ functionName: spec.name, roleArn: ROLE }), '--log-retention'), String(LOG_RETENTION_DAYS));
    }
  });

  it('adds the region, the profile, another env file and another lambda dir when given', () => {
    const argv = deployCommand({
      functionName: 'agent-picker',
      roleArn: 'arn:aws:iam::111122223333:role/teams/agent-picker',
      region: 'ap-northeast-1',
      profile: 'connect-admin',
      envFile: path.join(ROOT, 'infra', 'agent-picker.env'),
      lambdaDir: path.join(os.tmpdir(), 'lambda'),
    });
    assert.equal(flag(argv, '--region'), 'ap-northeast-1');
    assert.equal(flag(argv, '--profile'), 'connect-admin');
    assert.equal(flag(argv, '--env-file'), 'infra/agent-picker.env', 'relative to the repository root, where it runs');
    assert.equal(flag(argv, '--lambda-dir'), path.join(os.tmpdir(), 'lambda'));
    assert.equal(argv[argv.length - 1], 'agent-picker');
  });

  it('refuses an unknown function, a role that is not an IAM role ARN, a malformed region', () => {
    assert.throws(() => deployCommand({ functionName: 'holiday', roleArn: ROLE }), (e: Error) => {
      assert.ok(e instanceof DeployError);
      assert.match(e.message, /unknown function "holiday": one of holiday-fetcher, holiday-check, .*campaign-dialer/);
      return true;
    });
    for (const roleArn of ['', 'holiday-check', 'arn:aws:iam::1234:role/x', 'arn:aws:iam::111122223333:user/x', 'arn:aws:sts::111122223333:role/x']) {
      assert.throws(() => deployCommand({ functionName: 'holiday-check', roleArn }), DeployError, roleArn);
    }
    assert.throws(() => deployCommand({ functionName: 'holiday-check', roleArn: ROLE, region: 'tokyo' }), DeployError);
    assert.throws(() => deployCommand({ functionName: 'holiday-check', roleArn: ROLE, profile: 'a b' }), DeployError);
  });

  it('prints one option a line, quoted so that bash gives back the same words', () => {
    for (const spec of FUNCTIONS) {
      const argv = deployCommand({ functionName: spec.name, roleArn: ROLE, region: 'ap-northeast-1' });
      const printed = formatCommand(argv);
      assert.ok(printed.startsWith('cargo lambda deploy \\\n  --iam-role '), printed);
      assert.deepEqual(bashWords(printed), argv, spec.name);
    }
    for (const word of ["it's", 'a "b" $c', "don't $x", 'caller -> agent', 'plain-1.2']) {
      assert.deepEqual(bashWords(`cargo ${shellQuote(word)}`), ['cargo', word]);
    }
  });
});

describe('the environment files', () => {
  it('are KEY=VALUE lines and comments cargo-lambda reads as written, optional settings valid once uncommented', () => {
    for (const spec of FUNCTIONS) {
      const file = ENV_FILES[spec.name];
      assert.deepEqual(file.errors, [], defaultEnvFile(spec.name));
      assert.ok(file.vars.size > 0, spec.name);
      // Lambda refuses more than 4 KB of variables together.
      assert.ok(environmentSize(Object.fromEntries(file.vars), {}) <= ENVIRONMENT_LIMIT_BYTES, spec.name);
      const text = fs.readFileSync(path.join(ROOT, defaultEnvFile(spec.name)), 'utf8');
      assert.ok(text.endsWith('\n') && !text.includes('\r') && !text.includes('\t'), spec.name);
    }
  });

  it('the parser takes only the subset every reader agrees on', () => {
    const good = parseEnvFile("# a comment\n\nA=b\nB='two words = 2 # not a comment'\n# C=3\n# not a setting: D = 4\n");
    assert.deepEqual(good.errors, []);
    assert.deepEqual([...good.vars], [['A', 'b'], ['B', 'two words = 2 # not a comment']]);
    assert.deepEqual([...good.commented], [['C', '3']]);
    const bad = [
      'A = b',
      'A=two words',
      'A="double"',
      "A='it\\'s'",
      'export A=b',
      'a=b',
      'A=',
      'A=b # inline comment',
      'A=x\\ny',
      'A=1\nA=2',
      'A=1\n# A=2',
      "# A=two words",
      'just text',
    ];
    for (const text of bad) assert.notDeepEqual(parseEnvFile(text).errors, [], text);
  });

  it('set exactly the variables the synthesized stack sets, with its values where they are known', () => {
    for (const spec of FUNCTIONS) {
      const stack = variables(DEFAULT_FUNCTIONS[spec.name]);
      const file = ENV_FILES[spec.name].vars;
      assert.deepEqual([...file.keys()].sort(), Object.keys(stack).sort(), `${defaultEnvFile(spec.name)} against the stack`);
      for (const [key, value] of Object.entries(stack)) {
        if (typeof value === 'string' && !Token.isUnresolved(value)) {
          assert.equal(file.get(key), value, `${spec.name} ${key}`);
        } else {
          // A bucket, table, topic or flow the stack creates: a sample of the sample account, to replace.
          assert.ok(file.get(key), `${spec.name} ${key}`);
        }
      }
    }
    assert.equal(ENV_FILES['agent-picker'].vars.get('CONNECT_INSTANCE_ID'), INSTANCE_ARN);
    assert.equal(ENV_FILES['campaign-dialer'].vars.get('QUEUE_ID'), QUEUE_ARN);
    assert.match(ENV_FILES['campaign-dialer'].vars.get('CONTACT_FLOW_ID') ?? '', new RegExp(`^${INSTANCE_ARN}/contact-flow/[0-9a-f-]{36}$`));
  });

  it('have, commented out, every variable the stack sets only for some settings', () => {
    const hours = (id: string) => `${INSTANCE_ARN}/operating-hours/${id}`;
    const contexts: Record<string, string>[] = [
      {
        calendarUrls: 'https://calendar.test/ja.ics',
        closedDates: '12-29..01-03',
        hoursOfOperationIds: hours('22222222-3333-4444-5555-666666666666'),
        holidayHoursOfOperationId: hours('33333333-4444-5555-6666-777777777777'),
        overrideHorizonDays: '180',
        campaignSourceNumber: '+81312345678',
        minConnectedSeconds: '30',
      },
      { sites: JSON.stringify([{ name: 'tokyo', calendars: ['https://calendar.test/ja.ics'] }]) },
    ];
    const seen = new Set<string>();
    for (const context of contexts) {
      const resources = functionResources({ ...EVERY_FUNCTION, ...context });
      for (const spec of FUNCTIONS) {
        const file = ENV_FILES[spec.name];
        for (const key of Object.keys(variables(resources[spec.name]))) {
          assert.ok(file.vars.has(key) || file.commented.has(key), `${defaultEnvFile(spec.name)}: ${key} (${Object.keys(context).join(', ')})`);
          if (file.commented.has(key)) seen.add(`${spec.name} ${key}`);
        }
      }
    }
    for (const key of ['CALENDAR_URLS', 'CLOSED_DATES', 'HOURS_OF_OPERATION_IDS', 'HOLIDAY_HOURS_OF_OPERATION_ID', 'CONNECT_INSTANCE_ID', 'OVERRIDE_HORIZON_DAYS', 'SITES']) {
      assert.ok(seen.has(`holiday-fetcher ${key}`), key);
    }
    assert.ok(seen.has('campaign-dialer SOURCE_PHONE_NUMBER'));
  });

  it('name only variables the function reads (its crate or the shared settings name each one)', () => {
    const shared = fs.readFileSync(path.join(ROOT, 'crates', 'connect-aws', 'src', 'settings.rs'), 'utf8');
    for (const spec of FUNCTIONS) {
      const dir = path.join(ROOT, 'crates', spec.name, 'src');
      const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.rs')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8'));
      const file = ENV_FILES[spec.name];
      for (const key of [...file.vars.keys(), ...file.commented.keys()]) {
        assert.ok([...sources, shared].some((source) => source.includes(`"${key}"`)), `${spec.name} reads no ${key}`);
      }
    }
  });
});

describe('lambda-deploy (bin/lambda-deploy.ts)', () => {
  function io(ran: string[][] = []): Io & { lines: string[]; notes: string[] } {
    const lines: string[] = [];
    const notes: string[] = [];
    return { lines, notes, out: (l) => lines.push(l), err: (l) => notes.push(l), run: (argv) => (ran.push(argv), 0) };
  }

  /** A file with an ELF header for `machine` (0xb7 arm64, 0x3e x86_64). */
  function elf(file: string, machine: number) {
    const header = Buffer.alloc(64);
    header.writeUInt32BE(0x7f454c46, 0);
    header[4] = 2; // 64-bit
    header[5] = 1; // little-endian
    header.writeUInt16LE(machine, 18);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, header);
  }

  it('prints the command; without --run it runs nothing, and says what a deploy would still need', () => {
    const ran: string[][] = [];
    const out = io(ran);
    const missing = path.join(os.tmpdir(), 'connect-lambdas-no-lambda');
    assert.equal(main(['--function', 'holiday-check', '--role', ROLE, '--region', 'ap-northeast-1', '--lambda-dir', missing], out), 0);
    assert.deepEqual(ran, []);
    assert.equal(
      out.lines.join('\n'),
      formatCommand(deployCommand({ functionName: 'holiday-check', roleArn: ROLE, region: 'ap-northeast-1', lambdaDir: missing })),
    );
    assert.ok(out.notes.some((n) => n.includes('bootstrap is missing: run `make lambda` first')), out.notes.join('\n'));
    assert.ok(out.notes.some((n) => n.includes(`the sample account ${SAMPLE_ACCOUNT}`)), out.notes.join('\n'));
  });

  it('with --run: refuses a missing or x86_64 binary and the sample env file, else runs the command', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connect-lambdas-lambda-deploy-'));
    const envFile = path.join(dir, 'agent-picker.env');
    fs.writeFileSync(envFile, fs.readFileSync(path.join(ROOT, defaultEnvFile('agent-picker')), 'utf8').replaceAll(SAMPLE_ACCOUNT, '111122223333'));
    const lambdaDir = path.join(dir, 'lambda');
    const args = ['--function', 'agent-picker', '--role', ROLE, '--region', 'ap-northeast-1', '--lambda-dir', lambdaDir, '--run'];

    const ran: string[][] = [];
    let out = io(ran);
    assert.equal(main([...args, '--env-file', envFile], out), 2);
    assert.match(out.notes.join('\n'), /agent-picker\/bootstrap is missing/);

    elf(path.join(lambdaDir, 'agent-picker', 'bootstrap'), 0x3e);
    out = io(ran);
    assert.equal(main([...args, '--env-file', envFile], out), 2);
    assert.match(out.notes.join('\n'), /not an arm64 binary \(x86_64\)/);

    elf(path.join(lambdaDir, 'agent-picker', 'bootstrap'), 0xb7);
    out = io(ran);
    assert.equal(main(args, out), 2, 'the sample env file');
    assert.match(out.notes.join('\n'), /CONNECT_INSTANCE_ID, QUEUE_IDS still name the sample account/);
    assert.deepEqual(deployProblems({ functionName: 'agent-picker', roleArn: ROLE, envFile, lambdaDir }), []);
    assert.deepEqual(ran, []);

    out = io(ran);
    assert.equal(main([...args, '--env-file', envFile], out), 0);
    assert.deepEqual(ran, [deployCommand({ functionName: 'agent-picker', roleArn: ROLE, region: 'ap-northeast-1', envFile, lambdaDir })]);
    assert.equal(flag(ran[0], '--env-file'), envFile);
  });

  it('usage errors exit 2 with the usage', () => {
    for (const args of [[], ['--function', 'holiday-check'], ['--role', ROLE], ['--function', 'holiday-check', '--role'], ['--bogus']]) {
      const out = io();
      assert.equal(main(args, out), 2, args.join(' '));
      assert.ok(out.notes.includes(USAGE), args.join(' '));
      assert.deepEqual(out.lines, []);
    }
    const out = io();
    assert.equal(main(['--function', 'holiday', '--role', ROLE], out), 2);
    assert.match(out.notes.join('\n'), /unknown function "holiday"/);
  });
});

describe('make lambda-deploy', () => {
  function make(vars: Record<string, string>) {
    const env = { ...process.env };
    for (const name of ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'FUNCTION', 'ROLE_ARN', 'REGION', 'PROFILE', 'ENV_FILE', 'DRY_RUN']) delete env[name];
    const assignments = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
    return spawnSync('make', ['--no-print-directory', '-s', 'lambda-deploy', ...assignments], { cwd: ROOT, env, encoding: 'utf8' });
  }

  it('requires FUNCTION and ROLE_ARN (usage, exit 2)', () => {
    const given: Record<string, string>[] = [{}, { FUNCTION: 'holiday-check' }, { ROLE_ARN: ROLE }];
    for (const vars of given) {
      const result = make(vars);
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stdout, /^make lambda-deploy FUNCTION=<function> ROLE_ARN=arn:aws:iam::<account>:role\/<role> .*\[DRY_RUN=1\]$/m);
    }
  });

  it('DRY_RUN=1 prints the command and runs nothing', () => {
    const result = make({ FUNCTION: 'holiday-check', ROLE_ARN: ROLE, REGION: 'ap-northeast-1', DRY_RUN: '1' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, formatCommand(deployCommand({ functionName: 'holiday-check', roleArn: ROLE, region: 'ap-northeast-1' })) + '\n');
  });
});

describe('docs/deploy.md', () => {
  const page = fs.readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8');
  const start = page.indexOf('## Deploying one function with cargo lambda');
  const next = page.indexOf('\n## ', start + 1);
  const section = page.slice(start, next < 0 ? undefined : next);

  it('has the memory and timeout of every function as FUNCTIONS has them', () => {
    assert.ok(start > 0);
    const rows = [...section.matchAll(/^\| `([a-z-]+)` \| (\d+) MB \| (\d+) s \|/gm)].map((m) => [m[1], Number(m[2]), Number(m[3])]);
    assert.deepEqual(rows, FUNCTIONS.map((f) => [f.name, f.memoryMb, f.timeout.toSeconds()]));
  });

  it('shows the command make lambda-deploy prints for holiday-check', () => {
    assert.ok(section.includes(formatCommand(deployCommand({ functionName: 'holiday-check', roleArn: ROLE, region: 'ap-northeast-1' }))), 'docs/deploy.md example');
    assert.ok(section.includes(`make lambda-deploy FUNCTION=holiday-check ROLE_ARN=${ROLE} REGION=ap-northeast-1 DRY_RUN=1`));
  });
});
