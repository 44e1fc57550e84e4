// The flows keep the functions' published contracts (crates/<name>/contract.json) and the shape
// each variant promises (infra/flows/README.md).

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { Action, Flow, FlowKind, checkFlow, loadContracts, simulate } from '../lib/flow-contract';
import { ROOT } from './support';

const contracts = loadContracts(path.join(ROOT, 'crates'));
const flowFile = (name: string): Flow => JSON.parse(fs.readFileSync(path.join(ROOT, 'infra', 'flows', name), 'utf8'));
const action = (flow: Flow, id: string): Action => {
  const found = flow.Actions.find((a) => a.Identifier === id);
  assert.ok(found, `no action ${id}`);
  return found;
};
const ofType = (flow: Flow, type: string) => flow.Actions.filter((a) => a.Type === type);
const ids = (actions: Action[]) => actions.map((a) => a.Identifier);
const invoked = (name: string) => ofType(flowFile(name), 'InvokeLambdaFunction').map((a) => a.Parameters?.LambdaFunctionARN);
/** Where an action's error branches go. */
const onErrors = (a: Action) => [...new Set((a.Transitions?.Errors ?? []).map((e) => e.NextAction))];

const FLOWS: [string, FlowKind, boolean][] = [
  ['inbound.json', 'CONTACT_FLOW', true],
  ['inbound-direct.json', 'CONTACT_FLOW', false],
  ['customer-queue-direct.json', 'CUSTOMER_QUEUE', false],
  ['outbound-campaign.json', 'CONTACT_FLOW', false],
];

describe('flow contract', () => {
  for (const [name, kind, noAgentQueue] of FLOWS) {
    it(`${name} invokes stack functions with parameters they read, reads keys they answer and ends every path`, () => {
      assert.deepEqual(checkFlow(flowFile(name), contracts, { kind, noAgentQueue }), []);
    });
  }

  it('inbound.json calls holiday-check and last-agent-lookup only; the direct variant also agent-picker', () => {
    assert.deepEqual(invoked('inbound.json'), ['${HolidayCheckArn}', '${LastAgentLookupArn}']);
    assert.deepEqual(new Set(invoked('inbound-direct.json')), new Set([
      '${HolidayCheckArn}', '${LastAgentLookupArn}', '${AgentPickerArn}',
    ]));
    assert.deepEqual(invoked('customer-queue-direct.json'), []);
    // the recorder, and again only when the transfer of a talk-now customer fails
    assert.deepEqual(invoked('outbound-campaign.json'), ['${IvrChoiceRecorderArn}', '${IvrChoiceRecorderArn}']);
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

  it('finds a read two Lambdas late, a dead end, a loop with no way out, an agent queue and a wrong type', () => {
    const flow: Flow = {
      StartAction: 'lookup',
      Actions: [
        {
          Identifier: 'lookup',
          Type: 'InvokeLambdaFunction',
          Parameters: { LambdaFunctionARN: '${LastAgentLookupArn}' },
          Transitions: { NextAction: 'holiday', Errors: [{ NextAction: 'agent-queue', ErrorType: 'NoMatchingError' }] },
        },
        {
          Identifier: 'holiday',
          Type: 'InvokeLambdaFunction',
          Parameters: { LambdaFunctionARN: '${HolidayCheckArn}' },
          Transitions: { NextAction: 'criteria', Errors: [{ NextAction: 'spin', ErrorType: 'NoMatchingError' }] },
        },
        {
          // The documented name, which Connect refuses; and the agent id is no longer the lookup's answer.
          Identifier: 'criteria',
          Type: 'UpdateRoutingCriteria',
          Parameters: { RoutingCriteria: { Steps: [{ Expression: { AttributeCondition: { MatchCriteria: { AgentsCriteria: { AgentIds: ['$.External.agentId'] } } } } }] } },
          Transitions: { NextAction: 'message' },
        },
        { Identifier: 'message', Type: 'MessageParticipant', Parameters: { Text: 'x' }, Transitions: {} },
        { Identifier: 'spin', Type: 'Compare', Parameters: { ComparisonValue: '$.Attributes.x' }, Transitions: { NextAction: 'spin' } },
        {
          Identifier: 'agent-queue',
          Type: 'UpdateContactTargetQueue',
          Parameters: { AgentId: '$.Attributes.agentId' },
          Transitions: { NextAction: 'transfer', Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }] },
        },
        { Identifier: 'transfer', Type: 'TransferContactToQueue', Parameters: {}, Transitions: { Errors: [{ NextAction: 'end' }] } },
        { Identifier: 'dequeue', Type: 'DequeueContactAndTransferToQueue', Parameters: {}, Transitions: {} },
        { Identifier: 'end', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} },
      ],
    };
    const problems = checkFlow(flow, contracts, { noAgentQueue: true });
    assert.deepEqual(problems.sort(), [
      'agent-queue: sets an agent queue',
      'criteria: UpdateRoutingCriteria is not an action type this suite uses in a CONTACT_FLOW flow',
      'criteria: no path from here reaches a transfer to a queue or a disconnect',
      'criteria: reads $.External.agentId, which holiday-check does not answer',
      'dequeue: DequeueContactAndTransferToQueue is not an action type this suite uses in a CONTACT_FLOW flow',
      'holiday: no path from here reaches a transfer to a queue or a disconnect',
      'message: no path from here reaches a transfer to a queue or a disconnect',
      'message: the path ends here, not in a transfer to a queue or a disconnect',
      'spin: no path from here reaches a transfer to a queue or a disconnect',
    ].sort());
    // In a customer-queue flow the transfer is the dequeue, and the contact flow's actions are refused.
    const queueProblems = checkFlow(flow, contracts, { kind: 'CUSTOMER_QUEUE' });
    assert.ok(queueProblems.includes('transfer: TransferContactToQueue is not an action type this suite uses in a CUSTOMER_QUEUE flow'));
    assert.ok(queueProblems.includes('agent-queue: UpdateContactTargetQueue is not an action type this suite uses in a CUSTOMER_QUEUE flow'));
    assert.ok(!queueProblems.some((p) => p.startsWith('dequeue:')));
  });

  it('finds a Check hours of operation block without a standard working queue or with the wrong conditions', () => {
    const end: Action = { Identifier: 'end', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} };
    const hours = (conditions: string[], errors = true): Action => ({
      Identifier: 'hours',
      Type: 'CheckHoursOfOperation',
      Parameters: {},
      Transitions: {
        NextAction: 'end',
        Conditions: conditions.map((operand) => ({ NextAction: 'end', Condition: { Operator: 'Equals', Operands: [operand] } })),
        ...(errors ? { Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }] } : {}),
      },
    });
    const setQueue = (parameters: Record<string, string>): Action => ({
      Identifier: 'set',
      Type: 'UpdateContactTargetQueue',
      Parameters: parameters,
      Transitions: { NextAction: 'hours', Errors: [{ NextAction: 'hours', ErrorType: 'NoMatchingError' }] },
    });
    const problems = (start: string, ...actions: Action[]) => checkFlow({ StartAction: start, Actions: [...actions, end] }, contracts);
    assert.deepEqual(problems('set', setQueue({ QueueId: '${QueueArn}' }), hours(['True', 'False'])), [
      // the error branch of the queue step reaches the check with no queue set
      'hours: checks the working queue\'s hours where no queue is set',
    ]);
    const queueFirst = setQueue({ QueueId: '${QueueArn}' });
    queueFirst.Transitions = { NextAction: 'hours', Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }] };
    assert.deepEqual(problems('set', queueFirst, hours(['True', 'False'])), []);
    assert.deepEqual(problems('hours', hours(['True', 'False'])), ['hours: checks the working queue\'s hours where no queue is set']);
    const agentFirst = { ...queueFirst, Parameters: { AgentId: '$.Attributes.agentId' } };
    assert.deepEqual(problems('set', agentFirst, hours(['True', 'False'])), ['hours: checks the working queue\'s hours where an agent queue is set']);
    assert.deepEqual(problems('set', queueFirst, hours(['true', 'false'], false)), [
      'hours: CheckHoursOfOperation needs exactly the conditions Equals True and Equals False, not [Equals false; Equals true]',
      'hours: CheckHoursOfOperation has no NoMatchingError branch',
    ]);
    const named = hours(['True']);
    named.Parameters = { HoursOfOperationId: 'arn:aws:connect:r:1:instance/i/operating-hours/h' };
    assert.deepEqual(problems('hours', named), [
      'hours: CheckHoursOfOperation needs exactly the conditions Equals True and Equals False, not [Equals True]',
    ]);
  });

  it('finds a Store customer input block that breaks the flow language reference', () => {
    const input = (parameters: Record<string, unknown>, conditions = false): Action => ({
      Identifier: 'ask',
      Type: 'GetParticipantInput',
      Parameters: { Text: 'x', InputTimeLimitSeconds: '5', ...parameters },
      Transitions: {
        NextAction: 'end',
        ...(conditions ? { Conditions: [{ NextAction: 'end', Condition: { Operator: 'Equals', Operands: ['1'] } }] } : {}),
        Errors: [{ NextAction: 'end', ErrorType: 'NoMatchingError' }],
      },
    });
    const problems = (action: Action) =>
      checkFlow({ StartAction: 'ask', Actions: [action, { Identifier: 'end', Type: 'DisconnectParticipant', Parameters: {}, Transitions: {} }] }, contracts);
    const validation = { InputValidation: { CustomValidation: { MaximumLength: '1' } } };
    assert.deepEqual(problems(input({ StoreInput: 'True', ...validation, DTMFConfiguration: { DisableCancelKey: 'True' } })), []);
    assert.deepEqual(problems(input({ StoreInput: 'True', ...validation, DTMFConfiguration: { DisableCancelKey: true } })), [
      'ask: DisableCancelKey must be the string "True" or "False", not true',
    ]);
    assert.deepEqual(problems(input({ StoreInput: 'True' })), [
      'ask: InputValidation is required with StoreInput "True" and allowed only then',
    ]);
    assert.deepEqual(problems(input({ StoreInput: 'False', ...validation })), [
      'ask: InputValidation is required with StoreInput "True" and allowed only then',
    ]);
    assert.deepEqual(problems(input({ StoreInput: 'True', ...validation }, true)), [
      'ask: conditions are not supported with StoreInput "True"',
    ]);
    assert.deepEqual(problems(input({ StoreInput: true, ...validation })), [
      'ask: StoreInput must be the string "True" or "False", not true',
      'ask: InputValidation is required with StoreInput "True" and allowed only then',
    ]);
    assert.deepEqual(problems(input({ StoreInput: 'True', ...validation, DTMFConfiguration: { InputTerminationSequence: '######' } })), [
      'ask: InputTerminationSequence must be 1 to 5 keys of 0-9, # and *, not "######"',
    ]);
    assert.deepEqual(problems(input({ StoreInput: 'False', DTMFConfiguration: { InputTerminationSequence: '##' } }, true)), []);
  });
});

describe('outbound-campaign.json', () => {
  const flow = flowFile('outbound-campaign.json');
  const ask = action(flow, 'ask-choice');

  it('ask-choice stores one key, with * an ordinary key (cancel key disabled) and the default # terminator', () => {
    assert.equal(ask.Type, 'GetParticipantInput');
    assert.equal(ask.Parameters?.StoreInput, 'True');
    assert.deepEqual(ask.Parameters?.InputValidation, { CustomValidation: { MaximumLength: '1' } });
    assert.deepEqual(ask.Parameters?.DTMFConfiguration, { DisableCancelKey: 'True' });
    assert.equal(ask.Parameters?.InputTimeLimitSeconds, '8');
    // Stored input has no conditions: the success and the error branch both go to the recorder.
    assert.equal(ask.Transitions?.Conditions, undefined);
    assert.equal(ask.Transitions?.NextAction, 'record-choice');
    assert.deepEqual(onErrors(ask), ['record-choice']);
  });

  it('the prompt offers 1 talk now, 2 call back, 3 e-mail, 9 no more calls, any other key not interested', () => {
    const text = String(ask.Parameters?.Text);
    for (const choice of ['オペレーターとお話しになる場合は1を', 'お電話をご希望の場合は2を', 'メールでのご案内をご希望の場合は3を', '今後のお電話をご希望でない場合は9を', 'そのほかのボタン']) {
      assert.ok(text.includes(choice), choice);
    }
    assert.ok(text.indexOf('3を') < text.indexOf('9を'), 'the options in key order');
  });

  it('whatever was stored (a key, Timeout, nothing) reaches ivr-choice-recorder, whose answer is played as SSML', () => {
    const record = action(flow, 'record-choice');
    assert.deepEqual(record.Parameters?.LambdaInvocationAttributes, { inputData: '$.StoredCustomerInput' });
    assert.deepEqual(action(flow, 'play-result').Parameters, { SSML: '$.External.message' });
    assert.deepEqual(action(flow, 'play-not-recorded').Parameters, { SSML: '$.External.message' });
    assert.deepEqual(onErrors(record), ['goodbye']);
  });

  /** The actions whose transitions (next, conditions or errors) lead to `id`. */
  const into = (id: string) =>
    flow.Actions.filter((a) =>
      [a.Transitions?.NextAction, ...(a.Transitions?.Conditions ?? []).map((c) => c.NextAction), ...onErrors(a)].includes(id),
    ).map((a) => a.Identifier);
  const answered = (input: string, recorded: string, disconnect: string) =>
    ids(simulate(flow, { input, '$.External.recorded': recorded, '$.External.disconnect': disconnect }));

  it('a confirmation is played only after the recorder answers recorded=true; otherwise what it says instead', () => {
    const check = action(flow, 'is-recorded');
    assert.deepEqual([check.Type, check.Parameters], ['Compare', { ComparisonValue: '$.External.recorded' }]);
    assert.deepEqual(check.Transitions?.Conditions, [
      { NextAction: 'play-result', Condition: { Operator: 'Equals', Operands: ['true'] } },
    ]);
    assert.deepEqual(into('play-result'), ['is-recorded'], 'no other way to the confirmation');
    assert.equal(action(flow, 'record-choice').Transitions?.NextAction, 'is-recorded');
    for (const input of ['9', '2', '3', '*']) {
      assert.deepEqual(answered(input, 'true', 'true').slice(-5), ['record-choice', 'is-recorded', 'play-result', 'should-transfer', 'disconnect'], input);
      assert.deepEqual(answered(input, 'false', 'true').slice(-5), ['record-choice', 'is-recorded', 'play-not-recorded', 'should-transfer', 'disconnect'], input);
    }
    // anything but "true" (an answer without the key included) is not a confirmation
    assert.ok(!answered('9', '', 'true').includes('play-result'));
  });

  it('a recorder that fails (Lambda error) gets a neutral goodbye, and the call ends', () => {
    const path = ids(simulate(flow, { input: '9' }, 'CONTACT_FLOW', ['record-choice']));
    assert.deepEqual(path.slice(-3), ['record-choice', 'goodbye', 'disconnect']);
    assert.equal(String(action(flow, 'goodbye').Parameters?.Text), 'お電話ありがとうございました。失礼いたします。');
  });

  it('only disconnect=false (talk now) goes to the campaign queue, recorded or not; 9, any other key and no input hang up', () => {
    for (const recorded of ['true', 'false']) {
      assert.deepEqual(answered('1', recorded, 'false').slice(-3), ['should-transfer', 'set-campaign-queue', 'transfer-to-queue'], recorded);
    }
    for (const input of ['9', '2', '3', '*', 'Timeout']) {
      assert.deepEqual(answered(input, 'true', 'true').slice(-3), ['play-result', 'should-transfer', 'disconnect'], input);
    }
    assert.deepEqual(action(flow, 'set-campaign-queue').Parameters, { QueueId: '${QueueArn}' });
  });

  it('a queue or transfer that fails after talk now tells the recorder (the row is called again), then plays its apology', () => {
    const failed = action(flow, 'record-transfer-failed');
    assert.equal(failed.Parameters?.LambdaFunctionARN, '${IvrChoiceRecorderArn}');
    assert.deepEqual(failed.Parameters?.LambdaInvocationAttributes, { inputData: '$.StoredCustomerInput', transferFailed: 'true' });
    assert.deepEqual(onErrors(action(flow, 'set-campaign-queue')), ['record-transfer-failed']);
    // both errors the reference lists for TransferContactToQueue
    assert.deepEqual(action(flow, 'transfer-to-queue').Transitions?.Errors, [
      { NextAction: 'record-transfer-failed', ErrorType: 'QueueAtCapacity' },
      { NextAction: 'record-transfer-failed', ErrorType: 'NoMatchingError' },
    ]);
    const talk = { input: '1', '$.External.recorded': 'true', '$.External.disconnect': 'false' };
    for (const broken of ['set-campaign-queue', 'transfer-to-queue']) {
      const path = ids(simulate(flow, talk, 'CONTACT_FLOW', [broken]));
      assert.deepEqual(path.slice(-4), [broken, 'record-transfer-failed', 'play-apology', 'disconnect'], broken);
    }
    assert.deepEqual(action(flow, 'play-apology').Parameters, { SSML: '$.External.message' });
    // the recorder failing there too: a fixed apology, never silence
    const both = ids(simulate(flow, talk, 'CONTACT_FLOW', ['transfer-to-queue', 'record-transfer-failed']));
    assert.deepEqual(both.slice(-3), ['record-transfer-failed', 'apology', 'disconnect']);
    assert.match(String(action(flow, 'apology').Parameters?.Text), /お繋ぎできませんでした/);
  });
});

describe('inbound.json (routing=standard)', () => {
  const flow = flowFile('inbound.json');
  /** A call on an open day inside the queue's hours, holiday-check answering "open". */
  const OPEN = { '$.External.isClosed': 'false', hours: 'True' };

  it('prefers the last agent with one routing-criteria step that expires after preferredAgentSeconds', () => {
    const [criteria, ...others] = ofType(flow, 'UpdateContactRoutingCriteria');
    assert.deepEqual(others, []);
    assert.deepEqual(criteria.Parameters, {
      RoutingCriteria: {
        Steps: [
          {
            Expiry: { DurationInSeconds: '${PreferredAgentSeconds}' },
            Expression: {
              AttributeCondition: {
                ComparisonOperator: 'Match',
                MatchCriteria: { AgentsCriteria: { AgentIds: ['$.External.agentId'] } },
              },
            },
          },
        ],
      },
    });
    assert.deepEqual(ofType(flow, 'UpdateRoutingCriteria'), []);
  });

  it('sets only the standard queue, never an agent queue', () => {
    const queues = ofType(flow, 'UpdateContactTargetQueue');
    assert.deepEqual(queues.map((a) => a.Parameters), [{ QueueId: '${QueueArn}' }]);
  });

  it('voice Takumi (neural), falling back to Mizuki (standard) so prompts stay Japanese', () => {
    const voice = action(flow, 'set-voice');
    assert.equal(voice.Parameters?.TextToSpeechVoice, 'Takumi');
    assert.equal(voice.Parameters?.TextToSpeechEngine, 'Neural');
    assert.deepEqual(onErrors(voice), ['set-fallback-voice']);
    const fallback = action(flow, 'set-fallback-voice');
    assert.deepEqual([fallback.Parameters?.TextToSpeechVoice, fallback.Parameters?.TextToSpeechEngine], ['Mizuki', 'Standard']);
    assert.equal(fallback.Transitions?.NextAction, 'set-queue');
    const path = ids(simulate(flow, OPEN));
    assert.ok(path.indexOf('set-voice') < path.indexOf('check-holiday'));
  });

  it("checks the standard queue's own hours (and so its overrides) after holiday-check, before any lookup", () => {
    const path = ids(simulate(flow, OPEN));
    const at = (id: string) => path.indexOf(id);
    assert.ok(at('set-queue') >= 0 && at('set-queue') < at('check-hours'), 'the working queue is set before its hours are checked');
    assert.ok(at('check-holiday') < at('check-hours') && at('check-hours') < at('lookup-last-agent'));
    assert.deepEqual(action(flow, 'check-hours').Parameters, {}, "no HoursOfOperationId: the working queue's hours");
    assert.deepEqual(path.slice(-1), ['transfer-to-queue']);
  });

  it('nights and weekends: out of hours the caller hears the closed message and is never queued', () => {
    const path = ids(simulate(flow, { ...OPEN, hours: 'False' }));
    assert.deepEqual(path.slice(-3), ['check-hours', 'after-hours-message', 'disconnect']);
    assert.ok(!path.includes('lookup-last-agent') && !path.includes('transfer-to-queue'));
  });

  it('on a holiday the message names it; after an early close it says the day is over', () => {
    const holiday = ids(simulate(flow, { '$.External.isClosed': 'true', '$.External.isHoliday': 'true' }));
    assert.deepEqual(holiday.slice(-3), ['is-holiday', 'holiday-message', 'disconnect']);
    assert.ok(String(action(flow, 'holiday-message').Parameters?.Text).includes('$.External.holidayName'));
    const early = ids(simulate(flow, { '$.External.isClosed': 'true', '$.External.isHoliday': 'false' }));
    assert.deepEqual(early.slice(-2), ['early-close-message', 'disconnect'], 'an early close is not a holiday');
    const open = ids(simulate(flow, { ...OPEN, '$.External.isHoliday': 'true' }));
    assert.ok(!open.includes('holiday-message'), 'the flow follows isClosed');
  });

  it('an error of either check ends in a clear message, never a silent queue', () => {
    const cases: Record<string, string>[] = [
      { ...OPEN, 'error:check-holiday': 'NoMatchingError' },
      { ...OPEN, 'error:check-hours': 'NoMatchingError' },
      { hours: 'True' }, // holiday-check answered no isClosed
    ];
    for (const values of cases) {
      const path = ids(simulate(flow, values));
      assert.deepEqual(path.slice(-2), ['unavailable-message', 'disconnect'], JSON.stringify(values));
    }
    assert.deepEqual(ids(simulate(flow, { ...OPEN, 'error:set-queue': 'NoMatchingError' })).slice(-2), ['apology', 'disconnect']);
  });

  it('lookup and routing-criteria errors go to the standard queue without a preference', () => {
    const transfer = 'transfer-to-queue';
    assert.deepEqual(onErrors(action(flow, 'lookup-last-agent')), [transfer]);
    assert.deepEqual(onErrors(action(flow, 'prefer-last-agent')), [transfer]);
    assert.deepEqual(onErrors(action(flow, 'prefers-last-agent')), [transfer]);
    assert.deepEqual(onErrors(action(flow, 'ask-returning-caller')), [transfer]);
    assert.deepEqual(onErrors(action(flow, 'transfer-to-queue')), ['apology']);
    assert.equal(action(flow, 'apology').Transitions?.NextAction, 'disconnect');
    const failed = ids(simulate(flow, { ...OPEN, 'error:lookup-last-agent': 'NoMatchingError' }));
    assert.deepEqual(failed.slice(-2), ['lookup-last-agent', 'transfer-to-queue']);
  });

  const route = (values: Record<string, string>, ask: string) => {
    const configured: Flow = JSON.parse(JSON.stringify(flow).replace('${AskReturningCaller}', ask));
    return simulate(configured, { ...OPEN, ...values }).map((a) => a.Type);
  };

  it('a new caller goes straight to the standard queue; a returning one through the routing criteria', () => {
    const lookupOnwards = (types: string[]) => types.slice(types.indexOf('CheckHoursOfOperation') + 1);
    assert.deepEqual(lookupOnwards(route({ '$.External.preferAgent': 'false' }, 'false')), [
      'InvokeLambdaFunction', 'Compare', 'TransferContactToQueue',
    ]);
    assert.deepEqual(lookupOnwards(route({ '$.External.preferAgent': 'true' }, 'false')), [
      'InvokeLambdaFunction', 'Compare', 'Compare', 'UpdateContactRoutingCriteria', 'TransferContactToQueue',
    ]);
  });

  it('askReturningCaller=true asks first: 1 keeps the preference, anything else or a timeout drops it', () => {
    const types = route({ '$.External.preferAgent': 'true', input: '1' }, 'true');
    assert.ok(types.indexOf('GetParticipantInput') < types.indexOf('UpdateContactRoutingCriteria'));
    assert.ok(types.indexOf('GetParticipantInput') > 0);
    for (const input of ['2', '#']) {
      const declined = route({ '$.External.preferAgent': 'true', input }, 'true');
      assert.ok(declined.includes('GetParticipantInput') && !declined.includes('UpdateContactRoutingCriteria'), input);
    }
    assert.ok(!route({ '$.External.preferAgent': 'true' }, 'true').includes('UpdateContactRoutingCriteria'), 'timeout');
    assert.ok(!route({ '$.External.preferAgent': 'true', input: '1' }, 'false').includes('GetParticipantInput'));
    assert.ok(!route({ '$.External.preferAgent': 'false', input: '1' }, 'true').includes('GetParticipantInput'));
  });
});

describe('inbound-direct.json and customer-queue-direct.json (routing=direct)', () => {
  const flow = flowFile('inbound-direct.json');
  const queueFlow = flowFile('customer-queue-direct.json');

  it('sets the customer-queue flow right before every transfer to an agent queue', () => {
    const hook = action(flow, 'set-customer-queue-flow');
    assert.equal(hook.Type, 'UpdateContactEventHooks');
    assert.deepEqual(hook.Parameters, { EventHooks: { CustomerQueue: '${CustomerQueueFlowArn}' } });
    assert.equal(hook.Transitions?.NextAction, 'transfer-to-agent');
    assert.deepEqual(onErrors(hook), ['set-fallback-queue']);
    const into = (id: string) =>
      flow.Actions.filter((a) =>
        [a.Transitions?.NextAction, ...(a.Transitions?.Conditions ?? []).map((c) => c.NextAction), ...onErrors(a)].includes(id),
      ).map((a) => a.Identifier);
    assert.deepEqual(into('transfer-to-agent'), ['set-customer-queue-flow']);
    assert.deepEqual(into('set-customer-queue-flow'), ['set-agent-queue']);
    assert.deepEqual(action(flow, 'set-agent-queue').Parameters, { AgentId: '$.Attributes.agentId' });
  });

  it('an available last agent gets the call in their queue; otherwise agent-picker with the tried list', () => {
    const open = { '$.External.isClosed': 'false', hours: 'True' };
    const available = ids(simulate(flow, { ...open, '$.External.status': 'available' }));
    assert.deepEqual(available.slice(-5), ['is-last-agent-available', 'save-last-agent', 'set-agent-queue', 'set-customer-queue-flow', 'transfer-to-agent']);
    const busy = ids(simulate(flow, { ...open, '$.External.status': 'unavailable' }));
    assert.deepEqual(busy.slice(-4), ['pick-agent', 'is-picked-agent-available', 'set-fallback-queue', 'transfer-to-queue']);
    assert.deepEqual(action(flow, 'pick-agent').Parameters?.LambdaInvocationAttributes, { tried: '$.Attributes.tried' });
    assert.ok(!JSON.stringify(flow).includes('AssignmentRecorderArn'));
  });

  it('checks the standard queue\'s hours before any agent queue is set; closed and error paths as inbound.json', () => {
    const open = { '$.External.isClosed': 'false', hours: 'True' };
    const path = ids(simulate(flow, open));
    assert.ok(path.indexOf('set-hours-queue') < path.indexOf('check-hours'));
    assert.deepEqual(action(flow, 'set-hours-queue').Parameters, { QueueId: '${QueueArn}' });
    assert.deepEqual(ids(simulate(flow, { ...open, hours: 'False' })).slice(-2), ['after-hours-message', 'disconnect']);
    assert.deepEqual(ids(simulate(flow, { ...open, 'error:check-holiday': 'NoMatchingError' })).slice(-2), ['unavailable-message', 'disconnect']);
    assert.deepEqual(ids(simulate(flow, { '$.External.isClosed': 'true', '$.External.isHoliday': 'true' })).slice(-2), ['holiday-message', 'disconnect']);
  });

  it('the customer-queue flow holds, then after agentQueueSeconds moves the caller to the standard queue', () => {
    const hold = action(queueFlow, 'hold-for-agent');
    assert.equal(hold.Parameters?.InterruptFrequencySeconds, '${AgentQueueSeconds}');
    assert.deepEqual(ids(simulate(queueFlow, {}, 'CUSTOMER_QUEUE')), ['is-standard-queue', 'hold-for-agent', 'move-to-queue']);
    const move = action(queueFlow, 'move-to-queue');
    assert.deepEqual([move.Type, move.Parameters], ['DequeueContactAndTransferToQueue', { QueueId: '${QueueArn}' }]);
    assert.deepEqual(onErrors(hold), ['move-to-queue']);
    assert.deepEqual(onErrors(move), ['apology']);
    // Once in the standard queue (the hook stays on the contact) it only holds: no second move.
    assert.deepEqual(ids(simulate(queueFlow, { '$.Queue.ARN': '${QueueArn}' }, 'CUSTOMER_QUEUE')).slice(0, 2), ['is-standard-queue', 'hold-in-queue']);
    assert.equal(action(queueFlow, 'hold-in-queue').Parameters?.InterruptFrequencySeconds, undefined);
  });
});
