// One function with `cargo lambda deploy`, for teams that deploy without the stack (docs/deploy.md,
// "Deploying one function with cargo lambda"). Memory, timeout and description come from
// FUNCTIONS, the environment from events/<function>/lambda.env (or a copy of it). Nothing here
// builds: `make lambda` leaves the arm64 binaries in target/lambda/<function>/bootstrap first.
//
// The flags, as cargo-lambda 1.9.2 (requirements-lambda.txt) defines them: the command's
// documentation, https://www.cargo-lambda.info/commands/deploy.html, and its source,
// https://github.com/cargo-lambda/cargo-lambda/blob/v1.9.2/crates/cargo-lambda-metadata/src/cargo/deploy.rs
// (RemoteConfig in crates/cargo-lambda-remote/src/lib.rs, EnvOptions in crates/cargo-lambda-metadata/src/env.rs):
// - `[NAME]`: the function's name; `--binary-name`: the binary to deploy when it differs (here
//   they agree; given anyway so the package never depends on cargo-lambda's guess), found in
//   `--lambda-dir` (default target/lambda) as <binary-name>/bootstrap.
// - `--iam-role` (alias of `--role`): the execution role; without it cargo-lambda creates a
//   `cargo-lambda-role-<uuid>` with AWSLambdaBasicExecutionRole only.
// - `--memory` (MB, 128 to 10240), `--timeout` (seconds; 30 when not given).
// - `--env-file`: KEY=VALUE lines read by the env-file-reader crate (a missing file is an
//   error); `--env-var KEY=VALUE` (alias `--env-vars`, repeatable or comma-separated) adds or
//   overrides. Without `--merge-env` the function's variables are replaced by these.
// - `--runtime` (default provided.al2023), `--description` (the description of the version
//   it publishes), `--log-retention` (days; creates /aws/lambda/<name> if missing),
//   `--tag`/`--tags`, `--layer`, `--tracing`, `--subnet-ids`/`--security-group-ids`,
//   `--s3-bucket`, `--include`, `--enable-function-url`, `--dry` (alias `--dry-run`: package
//   without deploying), `-o/--output-format`.
// - `-r/--region`, `-p/--profile`, `-a/--alias`, `--endpoint-url`, `--retry-attempts`. Without
//   `--region` the region is AWS_REGION or the profile's, else us-east-1.
// - No architecture flag: it is read from the binary (arm64 from `make lambda`).

import * as fs from 'node:fs';
import * as path from 'node:path';

import { FUNCTIONS, FunctionSpec } from './functions';

/** The repository root: `cargo lambda deploy` runs there (Cargo.toml, target/lambda). */
export const ROOT = path.resolve(__dirname, '..', '..');

/** The stack's log retention (`logs.RetentionDays.ONE_MONTH`; a test compares the template). */
export const LOG_RETENTION_DAYS = 30;

/** The runtime the stack deploys on (cargo-lambda's default too, given so it cannot change). */
export const RUNTIME = 'provided.al2023';

/** The account of every sample ARN in events/<function>/lambda.env. */
export const SAMPLE_ACCOUNT = '123456789012';

export class DeployError extends Error {}

export interface DeployRequest {
  functionName: string;
  /** The execution role: trusted by lambda.amazonaws.com, with docs/deploy.md's least privilege ("IAM"). */
  roleArn: string;
  region?: string;
  profile?: string;
  /** Repository-relative or absolute; default events/<function>/lambda.env. */
  envFile?: string;
  /** Where `make lambda` left the binaries (`--lambda-dir`); default target/lambda. */
  lambdaDir?: string;
}

// An IAM role ARN, with an optional path (arn:aws:iam::<account>:role/<path>/<name>).
const ROLE_ARN = /^arn:aws[a-z-]*:iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;
const PROFILE = /^[\w.+@-]+$/;

export function functionSpec(name: string): FunctionSpec {
  const spec = FUNCTIONS.find((f) => f.name === name);
  if (!spec) {
    throw new DeployError(`unknown function ${JSON.stringify(name)}: one of ${FUNCTIONS.map((f) => f.name).join(', ')}`);
  }
  return spec;
}

/** The environment file deployed with a function unless another is given. */
export function defaultEnvFile(name: string): string {
  return path.posix.join('events', name, 'lambda.env');
}

/** The binary `make lambda` builds for a function (cargo-lambda honours CARGO_TARGET_DIR too). */
export function binaryPath(name: string, lambdaDir?: string): string {
  const dir = lambdaDir ?? path.posix.join(process.env.CARGO_TARGET_DIR || 'target', 'lambda');
  return displayPath(path.join(dir, name, 'bootstrap'));
}

/** A path as the command shows it: relative to the repository root when inside it. */
function displayPath(file: string): string {
  const absolute = path.resolve(ROOT, file);
  const relative = path.relative(ROOT, absolute);
  return relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative.split(path.sep).join('/');
}

/** `cargo lambda deploy ...` for one function, as an argument vector (run from ROOT). */
export function deployCommand(request: DeployRequest): string[] {
  const spec = functionSpec(request.functionName);
  if (!ROLE_ARN.test(request.roleArn)) {
    throw new DeployError(`role ${JSON.stringify(request.roleArn)}: expected an IAM role ARN, arn:aws:iam::<account>:role/<name>`);
  }
  if (request.region !== undefined && !REGION.test(request.region)) {
    throw new DeployError(`region ${JSON.stringify(request.region)}: expected a region name such as ap-northeast-1`);
  }
  if (request.profile !== undefined && !PROFILE.test(request.profile)) {
    throw new DeployError(`profile ${JSON.stringify(request.profile)}: expected a profile name of ~/.aws/config`);
  }
  const envFile = displayPath(request.envFile ?? defaultEnvFile(spec.name));
  return [
    'cargo',
    'lambda',
    'deploy',
    '--iam-role',
    request.roleArn,
    '--memory',
    String(spec.memoryMb),
    '--timeout',
    String(spec.timeout.toSeconds()),
    '--runtime',
    RUNTIME,
    '--env-file',
    envFile,
    '--description',
    spec.description,
    '--log-retention',
    String(LOG_RETENTION_DAYS),
    ...(request.region ? ['--region', request.region] : []),
    ...(request.profile ? ['--profile', request.profile] : []),
    ...(request.lambdaDir ? ['--lambda-dir', displayPath(request.lambdaDir)] : []),
    '--binary-name',
    spec.name,
    spec.name,
  ];
}

/** One shell word: as it is when safe, else in quotes (double ones around an apostrophe). */
export function shellQuote(word: string): string {
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  if (word.includes("'") && !/[$`"\\!]/.test(word)) return `"${word}"`;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command for a terminal: `cargo lambda deploy`, then one option (with its value) a line. */
export function formatCommand(argv: readonly string[]): string {
  const lines = [argv.slice(0, 3).map(shellQuote).join(' ')];
  let i = 3;
  while (i < argv.length) {
    const takesValue = argv[i].startsWith('--') && i + 1 < argv.length - 1;
    const words = takesValue ? argv.slice(i, i + 2) : [argv[i]];
    lines.push('  ' + words.map(shellQuote).join(' '));
    i += words.length;
  }
  return lines.join(' \\\n');
}

export interface EnvFile {
  /** The variables the file sets, in order. */
  vars: Map<string, string>;
  /** `# KEY=VALUE` lines: optional settings, written so that uncommenting them is enough. */
  commented: Map<string, string>;
  /** `line N: why`, for every line the subset below does not accept. */
  errors: string[];
}

const KEY = /^[A-Z][A-Z0-9_]*$/;

/**
 * The values this project writes: a bare word without whitespace, `=`, `#`, quotes or
 * backslashes, or a single-quoted text without quotes or backslashes. env-file-reader (what
 * cargo-lambda reads `--env-file` with) takes both as they are; it also takes more (double
 * quotes, `export`, escapes), which these files avoid so that every reader agrees.
 */
function value(raw: string): string | undefined {
  if (/^[^\s='"`#\\]+$/.test(raw)) return raw;
  const quoted = /^'([^'\\]+)'$/.exec(raw);
  return quoted ? quoted[1] : undefined;
}

export function parseEnvFile(text: string): EnvFile {
  const file: EnvFile = { vars: new Map(), commented: new Map(), errors: [] };
  text.split('\n').forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line.trim() === '') return;
    if (line.startsWith('#')) {
      const setting = /^# ?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (!setting) return;
      const parsed = value(setting[2]);
      if (parsed === undefined) file.errors.push(`${where}: ${setting[1]}: the value ${setting[2]} needs single quotes (or has a quote or backslash)`);
      else if (file.commented.has(setting[1])) file.errors.push(`${where}: ${setting[1]} is given twice`);
      else file.commented.set(setting[1], parsed);
      return;
    }
    const eq = line.indexOf('=');
    const key = eq < 0 ? line : line.slice(0, eq);
    if (eq < 0 || !KEY.test(key)) {
      file.errors.push(`${where}: expected KEY=VALUE (an upper-case name, no spaces around =) or a # comment`);
      return;
    }
    const parsed = value(line.slice(eq + 1));
    if (parsed === undefined) {
      file.errors.push(`${where}: ${key}: empty, or needs single quotes (spaces, =, #, quotes), or has a backslash`);
    } else if (file.vars.has(key)) {
      file.errors.push(`${where}: ${key} is given twice`);
    } else {
      file.vars.set(key, parsed);
    }
  });
  for (const key of file.vars.keys()) {
    if (file.commented.has(key)) file.errors.push(`${key} is both set and commented out`);
  }
  return file;
}

export function readEnvFile(file: string): EnvFile {
  return parseEnvFile(fs.readFileSync(path.resolve(ROOT, file), 'utf8'));
}

/** The CPU an ELF binary is for (`arm64`, `x86_64`, ...), or undefined when it is not ELF. */
export function elfArchitecture(file: string): string | undefined {
  const header = Buffer.alloc(20);
  const fd = fs.openSync(file, 'r');
  try {
    if (fs.readSync(fd, header, 0, 20, 0) < 20) return undefined;
  } finally {
    fs.closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const machine = header[5] === 2 ? header.readUInt16BE(18) : header.readUInt16LE(18);
  return ({ 0xb7: 'arm64', 0x3e: 'x86_64' } as Record<number, string>)[machine] ?? `machine ${machine}`;
}

/**
 * What stops a deploy from this machine: the binary `make lambda` builds (arm64), and an
 * environment file that is valid and no longer holds the sample account.
 */
export function deployProblems(request: DeployRequest): string[] {
  const name = functionSpec(request.functionName).name;
  const problems: string[] = [];
  const shown = binaryPath(name, request.lambdaDir);
  const binary = path.resolve(ROOT, shown);
  if (!fs.existsSync(binary)) {
    problems.push(`${shown} is missing: run \`make lambda\` first`);
  } else if (elfArchitecture(binary) !== 'arm64') {
    problems.push(`${shown} is not an arm64 binary (${elfArchitecture(binary) ?? 'not ELF'}): run \`make lambda\``);
  }
  const envFile = request.envFile ?? defaultEnvFile(name);
  if (!fs.existsSync(path.resolve(ROOT, envFile))) {
    problems.push(`${envFile} is missing`);
    return problems;
  }
  const env = readEnvFile(envFile);
  problems.push(...env.errors.map((e) => `${envFile}: ${e}`));
  const samples = [...env.vars].filter(([, v]) => v.includes(SAMPLE_ACCOUNT)).map(([k]) => k);
  if (samples.length) {
    problems.push(
      `${envFile}: ${samples.join(', ')} still name the sample account ${SAMPLE_ACCOUNT}: copy the file, put your resources in, and pass it as ENV_FILE=...`,
    );
  }
  return problems;
}
