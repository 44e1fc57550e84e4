// Each feature deployable alone (lib/settings.ts, Features): the functions, tables and flows of
// the features turned on, flows that still keep the contract once the other features' steps are
// bypassed (lib/flow-variants.ts), and cdk-nag's rules on every combination.

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { CfnElement } from 'aws-cdk-lib';

import { Flow, checkFlow, loadContracts, simulate } from '../lib/flow-contract';
import { bypass } from '../lib/flow-variants';
import { FUNCTIONS } from '../lib/functions';
import { ConnectLambdasStack, deploys } from '../lib/stack';
import { ROOT, settings, synth } from './support';

const contracts = loadContracts(path.join(ROOT, 'crates'));
const COMBINATIONS = ['holidays', 'returningCallers', 'campaign', 'holidays,returningCallers', 'holidays,campaign', 'returningCallers,campaign', 'holidays,returningCallers,campaign'];

function flowOf(template: ReturnType<typeof synth>['template'], id: string): Flow | undefined {
  const resource = template.toJSON().Resources[id];
  return resource ? JSON.parse(resource.Properties.Content['Fn::Sub'][0]) : undefined;
}

function functionsOf(stack: ConnectLambdasStack): string[] {
  return Object.keys(stack.functions).sort();
}

describe('features', () => {
  for (const features of COMBINATIONS) {
    it(`${features}: its functions and flows, each flow keeping the contract`, () => {
      const { stack, template } = synth({ features });
      const expected = FUNCTIONS.map((f) => f.name).filter((name) => deploys(name, settings({ features }))).sort();
      assert.deepEqual(functionsOf(stack), expected);
      for (const [id, kind] of [['InboundFlow', 'CONTACT_FLOW'], ['OutboundCampaignFlow', 'CONTACT_FLOW']] as const) {
        const flow = flowOf(template, id);
        if (flow === undefined) continue;
        assert.deepEqual(checkFlow(flow, contracts, { kind, noAgentQueue: true }), [], `${features}: ${id}`);
        // Every function a flow invokes is deployed and associated.
        for (const [, placeholder] of JSON.stringify(flow).matchAll(/\$\{([A-Za-z]+)Arn\}/g)) {
          if (placeholder === 'Queue') continue;
          const name = FUNCTIONS.find((f) => f.name.replace(/(^|-)([a-z])/g, (_, __, c) => c.toUpperCase()) === placeholder)?.name;
          assert.ok(name && stack.functions[name], `${features}: ${id} invokes ${placeholder}`);
          const logicalId = stack.getLogicalId(stack.functions[name].node.defaultChild as CfnElement);
          assert.ok(JSON.stringify(template.findResources('AWS::Connect::IntegrationAssociation')).includes(logicalId), `${name} associated`);
        }
      }
      assert.equal(flowOf(template, 'InboundFlow') !== undefined, features.includes('holidays') || features.includes('returningCallers'));
      assert.equal(flowOf(template, 'OutboundCampaignFlow') !== undefined, features.includes('campaign'));
    });
  }

  it('the campaign alone brings the holiday list: the dialer never calls on a holiday', () => {
    const { stack, template } = synth({ features: 'campaign' });
    assert.deepEqual(functionsOf(stack), ['campaign-dialer', 'holiday-fetcher', 'ivr-choice-recorder']);
    const dialer = template.toJSON().Resources[stack.getLogicalId(stack.functions['campaign-dialer'].node.defaultChild as CfnElement)];
    assert.ok(dialer.Properties.Environment.Variables.HOLIDAY_BUCKET);
    assert.deepEqual(Object.keys(template.findResources('AWS::DynamoDB::Table')).map((id) => id.replace(/[0-9A-F]{8}$/, '')).sort(), ['CustomersTable', 'DoNotCallTable']);
    assert.equal(Object.keys(template.findResources('AWS::Events::Rule')).length, 1, "holiday-fetcher's schedule; no contact-event rule");
  });

  it('without holidays the inbound flow checks the hours alone; without returning callers it goes straight to the queue', () => {
    const hoursOnly = flowOf(synth({ features: 'returningCallers' }).template, 'InboundFlow')!;
    assert.ok(!JSON.stringify(hoursOnly).includes('HolidayCheckArn'));
    const open = simulate(hoursOnly, { hours: 'True', '$.External.preferAgent': 'false' }).map((a) => a.Identifier);
    assert.deepEqual(open, ['set-flow-settings', 'set-voice', 'set-queue', 'check-hours', 'lookup-last-agent', 'prefers-last-agent', 'transfer-to-queue']);
    assert.deepEqual(simulate(hoursOnly, { hours: 'False' }).map((a) => a.Identifier).slice(-2), ['after-hours-message', 'disconnect']);

    const noLookup = flowOf(synth({ features: 'holidays' }).template, 'InboundFlow')!;
    assert.ok(!JSON.stringify(noLookup).includes('LastAgentLookupArn') && !JSON.stringify(noLookup).includes('AskReturningCaller'));
    const path = simulate(noLookup, { '$.External.isClosed': 'false', hours: 'True' }).map((a) => a.Identifier);
    assert.deepEqual(path, ['set-voice', 'set-queue', 'check-holiday', 'is-closed', 'check-hours', 'transfer-to-queue']);
  });

  it('bypass leads every transition around the steps and drops what no path reaches', () => {
    const flow: Flow = {
      StartAction: 'a',
      Actions: [
        { Identifier: 'a', Type: 'Compare', Transitions: { NextAction: 'b', Conditions: [{ NextAction: 'c' }], Errors: [{ NextAction: 'b' }] } },
        { Identifier: 'b', Type: 'MessageParticipant', Transitions: { NextAction: 'd' } },
        { Identifier: 'c', Type: 'MessageParticipant', Transitions: { NextAction: 'd' } },
        { Identifier: 'd', Type: 'DisconnectParticipant', Transitions: {} },
      ],
    };
    const around = bypass(flow, { b: 'd' });
    assert.deepEqual(around.Actions.map((a) => a.Identifier), ['a', 'c', 'd']);
    assert.deepEqual(around.Actions[0].Transitions, { NextAction: 'd', Conditions: [{ NextAction: 'c' }], Errors: [{ NextAction: 'd' }] });
    assert.equal(bypass(flow, { a: 'c' }).StartAction, 'c');
    assert.deepEqual(bypass(flow, { a: 'c' }).Actions.map((a) => a.Identifier), ['c', 'd']);
  });
});
