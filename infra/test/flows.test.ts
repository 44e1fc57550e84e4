// The flows keep the functions' published contracts (crates/<name>/contract.json).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { Flow, checkFlow, loadContracts } from '../lib/flow-contract';
import { ROOT } from './support';

const contracts = loadContracts(path.join(ROOT, 'crates'));
const flowFile = (name: string): Flow => JSON.parse(fs.readFileSync(path.join(ROOT, 'infra', 'flows', name), 'utf8'));

describe('flow contract', () => {
  for (const name of ['inbound.json', 'outbound-campaign.json']) {
    it(`${name} invokes stack functions with parameters they read and reads keys they answer`, () => {
      assert.deepEqual(checkFlow(flowFile(name), contracts), []);
    });
  }

  it('the inbound flow calls the four routing functions and the outbound flow the recorder', () => {
    const invoked = (name: string) =>
      flowFile(name)
        .Actions.filter((a) => a.Type === 'InvokeLambdaFunction')
        .map((a) => a.Parameters?.LambdaFunctionARN);
    assert.deepEqual(new Set(invoked('inbound.json')), new Set([
      '${HolidayCheckArn}', '${LastAgentLookupArn}', '${AgentPickerArn}', '${AssignmentRecorderArn}',
    ]));
    assert.deepEqual(invoked('outbound-campaign.json'), ['${IvrChoiceRecorderArn}']);
  });

  it('finds an unknown function, an unread parameter, an unknown key and a read after an error', () => {
    const flow: Flow = {
      StartAction: 'a',
      Actions: [
        {
          Identifier: 'a',
          Type: 'InvokeLambdaFunction',
          Parameters: { LambdaFunctionARN: '${AgentPickerArn}', LambdaInvocationAttributes: { users: 'x', agent: 'y' } },
          Transitions: { NextAction: 'b', Errors: [{ NextAction: 'c', ErrorType: 'NoMatchingError' }] },
        },
        {
          Identifier: 'b',
          Type: 'Compare',
          Parameters: { ComparisonValue: '$.External.isHoliday' },
          Transitions: { NextAction: 'd', Conditions: [{ NextAction: 'e' }] },
        },
        { Identifier: 'c', Type: 'MessageParticipant', Parameters: { Text: '$.External.message' }, Transitions: { NextAction: 'd' } },
        {
          Identifier: 'd',
          Type: 'InvokeLambdaFunction',
          Parameters: { LambdaFunctionARN: '${CampaignDialerArn}' },
          Transitions: { NextAction: 'e' },
        },
        { Identifier: 'e', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
      ],
    };
    assert.deepEqual(checkFlow(flow, contracts).sort(), [
      'a: passes agent, which agent-picker does not read',
      'b: reads $.External.isHoliday, which agent-picker does not answer',
      'c: reads $.External.message where no function has answered',
      'd: invokes ${CampaignDialerArn}, not a contact-flow function of the stack',
    ]);
    flow.Actions[4].Identifier = 'f';
    assert.ok(checkFlow(flow, contracts).includes('a transition leads to e, which does not exist'));
  });
});
