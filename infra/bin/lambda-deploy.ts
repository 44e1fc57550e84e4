// `make lambda-deploy FUNCTION=<function> ROLE_ARN=<role ARN> [DRY_RUN=1]`: prints the
// `cargo lambda deploy` command for one function and, with --run, runs it from the repository
// root (cargo-lambda from .venv-lambda, which `make lambda` installs). Builds nothing. Relative
// --env-file and --lambda-dir paths are taken from the repository root.
//
//   npx --no-install ts-node --transpile-only bin/lambda-deploy.ts --function holiday-check \
//     --role arn:aws:iam::111122223333:role/holiday-check [--region R] [--profile P] [--env-file F] [--run]

import { spawnSync } from 'node:child_process';

import { DeployError, DeployRequest, ROOT, deployCommand, deployProblems, formatCommand } from '../lib/lambda-deploy';

export const USAGE =
  'usage: lambda-deploy --function <function> --role <role ARN> [--region <region>] [--profile <profile>] [--env-file <file>] [--lambda-dir <dir>] [--run]';

const OPTIONS: Record<string, keyof DeployRequest> = {
  '--function': 'functionName',
  '--role': 'roleArn',
  '--region': 'region',
  '--profile': 'profile',
  '--env-file': 'envFile',
  '--lambda-dir': 'lambdaDir',
};

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Runs the command from ROOT; the exit status. */
  run: (argv: string[]) => number;
}

function runFromRoot(argv: string[]): number {
  const result = spawnSync(argv[0], argv.slice(1), { cwd: ROOT, stdio: 'inherit' });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    console.error(`lambda-deploy: ${missing ? `${argv[0]} not found on PATH` : result.error.message}`);
    return 1;
  }
  return result.status ?? 1;
}

const PROCESS_IO: Io = { out: (l) => console.log(l), err: (l) => console.error(l), run: runFromRoot };

/** The exit status: 0 printed (or deployed), 2 for a usage or settings error. */
export function main(args: readonly string[], io: Io = PROCESS_IO): number {
  const request: Partial<DeployRequest> = {};
  let run = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--run') {
      run = true;
    } else if (arg in OPTIONS && i + 1 < args.length && args[i + 1] !== '') {
      request[OPTIONS[arg]] = args[++i];
    } else {
      io.err(`lambda-deploy: unexpected ${JSON.stringify(arg)}`);
      io.err(USAGE);
      return 2;
    }
  }
  if (!request.functionName || !request.roleArn) {
    io.err(USAGE);
    return 2;
  }
  const full = request as DeployRequest;
  let argv: string[];
  let problems: string[];
  try {
    argv = deployCommand(full);
    problems = deployProblems(full);
  } catch (error) {
    if (error instanceof DeployError) {
      io.err(`lambda-deploy: ${error.message}`);
      return 2;
    }
    throw error;
  }
  io.out(formatCommand(argv));
  if (!full.region) {
    io.err('note: no region given: cargo-lambda uses AWS_REGION or the profile\'s region, else us-east-1; deploy into the Connect instance\'s region');
  }
  if (!run) {
    for (const problem of problems) io.err(`note: before deploying: ${problem}`);
    return 0;
  }
  if (problems.length) {
    for (const problem of problems) io.err(`lambda-deploy: ${problem}`);
    return 2;
  }
  return io.run(argv);
}

if (require.main === module) {
  process.exit(main(process.argv.slice(2)));
}
