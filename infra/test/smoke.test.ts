// make smoke (lib/smoke.ts, bin/smoke.ts) without AWS: the stack's functions read from
// CloudFormation's answer, what the report says, and the AWS CLI calls it makes. The real CLI
// against emulated Lambda is run by tests/tests/smoke.rs.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { AwsCli, ROOT, SMOKE_EVENTS, functionsOfStack, report, smoke, summarize } from '../lib/smoke';

const DESCRIBED = JSON.stringify({
  StackResources: [
    { LogicalResourceId: 'HolidayCheckDBAD84C6', PhysicalResourceId: 'ConnectLambdas-HolidayCheckDBAD84C6-abc', ResourceType: 'AWS::Lambda::Function' },
    { LogicalResourceId: 'HolidayCheckRole1A2B3C4D', PhysicalResourceId: 'role', ResourceType: 'AWS::IAM::Role' },
    { LogicalResourceId: 'HolidayFetcher12345678', PhysicalResourceId: 'ConnectLambdas-HolidayFetcher-x', ResourceType: 'AWS::Lambda::Function' },
    { LogicalResourceId: 'HolidayCheckLogs9F8E7D6C', PhysicalResourceId: 'group', ResourceType: 'AWS::Logs::LogGroup' },
  ],
});

/** A CLI that answers each function with `answers[name]` (a function error when it has errorType). */
function fakeCli(answers: Record<string, unknown>, calls: string[][]): AwsCli {
  return (args) => {
    calls.push(args);
    const name = args[args.indexOf('--function-name') + 1];
    const answer = answers[name];
    if (answer === undefined) return { status: 255, stdout: '', stderr: `An error occurred (ResourceNotFoundException): Function not found: ${name}` };
    fs.writeFileSync(args[args.length - 1], JSON.stringify(answer));
    const failed = typeof answer === 'object' && answer !== null && 'errorType' in answer;
    return { status: 0, stdout: JSON.stringify({ StatusCode: 200, ...(failed ? { FunctionError: 'Unhandled' } : {}) }), stderr: '' };
  };
}

describe('make smoke', () => {
  it('finds the suite functions of a stack by their logical ids', () => {
    assert.deepEqual(functionsOfStack(DESCRIBED), {
      'holiday-check': 'ConnectLambdas-HolidayCheckDBAD84C6-abc',
      'holiday-fetcher': 'ConnectLambdas-HolidayFetcher-x',
    });
  });

  it('every sample event exists and is JSON', () => {
    for (const file of Object.values(SMOKE_EVENTS)) JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));
  });

  it('invokes each function with its sample and reports answers, function errors and absent functions', () => {
    const calls: string[][] = [];
    const aws = fakeCli(
      {
        'fn-fetcher': { status: 'unchanged', holidayCount: 72, added: [] },
        'fn-check': { status: 'ok', isClosed: 'false', holidayName: '', date: '2026-12-05' },
        'fn-lookup': { errorType: 'InvalidConfiguration', errorMessage: 'ASSIGNMENTS_TABLE is not set' },
      },
      calls,
    );
    const functions = { 'holiday-fetcher': 'fn-fetcher', 'holiday-check': 'fn-check', 'last-agent-lookup': 'fn-lookup', 'agent-picker': 'fn-gone' };
    const results = smoke(aws, { functions, region: 'ap-northeast-1', expected: ['holiday-fetcher', 'holiday-check', 'last-agent-lookup', 'agent-picker', 'ivr-choice-recorder'] });
    assert.deepEqual(results.map((r) => [r.function, r.result]), [
      ['holiday-fetcher', 'ok'], ['holiday-check', 'ok'], ['last-agent-lookup', 'error'], ['agent-picker', 'error'], ['ivr-choice-recorder', 'missing'],
    ]);
    assert.equal(results[0].detail, 'status=unchanged holidayCount=72');
    assert.equal(results[1].detail, 'status=ok isClosed=false');
    assert.equal(results[2].detail, 'function error InvalidConfiguration: ASSIGNMENTS_TABLE is not set');
    assert.match(results[3].detail, /aws lambda invoke failed: .*Function not found: fn-gone/);
    assert.deepEqual(calls[0].slice(0, 6), ['lambda', 'invoke', '--function-name', 'fn-fetcher', '--payload', `fileb://${path.join(ROOT, 'events/holiday-fetcher/scheduled.json')}`]);
    assert.ok(calls[0].includes('--region') && !calls[0].includes('--endpoint-url'));
    const lines = report(results);
    assert.equal(lines.at(-1), 'smoke: 3 of 5 did not answer');
    assert.match(lines[0], /^holiday-fetcher\s+ok\s+status=unchanged/);
  });

  it('summarizes an answer by the keys an operator reads', () => {
    assert.equal(summarize({ recorded: 'false', skipped: 'not a voice contact', contactId: 'c-1' }), 'recorded=false skipped=not a voice contact');
    assert.equal(summarize({ found: 'false', preferAgent: 'false', status: 'unavailable', agentId: '' }), 'status=unavailable found=false preferAgent=false');
    assert.equal(summarize('text'), '"text"');
  });
});
