// The flows a stack deploys, made from the files in infra/flows/ for the features it has: a flow
// step of a feature that is off is bypassed (every transition into it goes where the step would
// have led had it not been there), and the steps no path reaches any more are dropped. The
// result is checked like the files themselves (lib/flow-contract.ts, test/flows.test.ts).

import * as fs from 'node:fs';
import * as path from 'node:path';

import { Flow, FlowKind } from './flow-contract';
import { Settings } from './settings';

export interface DeployedFlow {
  /** The construct id (`InboundFlow`, `CustomerQueueFlow`, `OutboundCampaignFlow`). */
  id: string;
  file: string;
  name: string;
  description: string;
  kind: FlowKind;
  flow: Flow;
}

/**
 * `flow` with each step `from` of `redirects` replaced by `to`: the start and every transition
 * into `from` lead to `to`; then every step no path reaches is removed.
 */
export function bypass(flow: Flow, redirects: Record<string, string>): Flow {
  const to = (id: string) => redirects[id] ?? id;
  const actions = flow.Actions.map((action) => {
    const t = action.Transitions;
    if (t === undefined) return action;
    return {
      ...action,
      Transitions: {
        ...t,
        ...(t.NextAction !== undefined ? { NextAction: to(t.NextAction) } : {}),
        ...(t.Conditions ? { Conditions: t.Conditions.map((c) => ({ ...c, NextAction: to(c.NextAction) })) } : {}),
        ...(t.Errors ? { Errors: t.Errors.map((e) => ({ ...e, NextAction: to(e.NextAction) })) } : {}),
      },
    };
  });
  const byId = new Map(actions.map((a) => [a.Identifier, a]));
  const reached = new Set<string>();
  const walk = [to(flow.StartAction)];
  while (walk.length > 0) {
    const id = walk.pop()!;
    if (reached.has(id) || !byId.has(id)) continue;
    reached.add(id);
    const t = byId.get(id)!.Transitions ?? {};
    walk.push(...[t.NextAction, ...(t.Conditions ?? []).map((c) => c.NextAction), ...(t.Errors ?? []).map((e) => e.NextAction)].filter((x): x is string => Boolean(x)));
  }
  return { ...flow, StartAction: to(flow.StartAction), Actions: actions.filter((a) => reached.has(a.Identifier)) };
}

function read(flowsDir: string, file: string): Flow {
  return JSON.parse(fs.readFileSync(path.join(flowsDir, file), 'utf8'));
}

/** The flows of a stack with these settings, in the order they are created. */
export function flowsFor(settings: Settings, flowsDir: string): DeployedFlow[] {
  const { holidays, returningCallers, campaign } = settings.features;
  const flows: DeployedFlow[] = [];
  if (holidays || returningCallers) {
    const direct = settings.routing === 'direct';
    if (direct) {
      flows.push({
        id: 'CustomerQueueFlow',
        file: 'customer-queue-direct.json',
        name: 'connect-lambdas customer queue (direct)',
        description: 'Hold message in the agent queue, then a move to the standard queue',
        kind: 'CUSTOMER_QUEUE',
        flow: read(flowsDir, 'customer-queue-direct.json'),
      });
    }
    const file = direct ? 'inbound-direct.json' : 'inbound.json';
    let inbound = read(flowsDir, file);
    // Without the holiday feature the hours of operation alone decide (their overrides included).
    if (!holidays) inbound = bypass(inbound, { 'check-holiday': 'check-hours' });
    // Without returning callers, straight from the checks to the standard queue.
    if (!returningCallers) inbound = bypass(inbound, { 'set-flow-settings': 'set-voice', 'lookup-last-agent': 'transfer-to-queue' });
    const steps = [holidays ? 'Holiday and hours check' : 'Hours check'];
    if (returningCallers) {
      steps.push(direct ? 'the caller last agent or the next available agent (agent queue), or the queue' : 'the standard queue, preferring the caller last agent for a while');
    } else {
      steps.push('the standard queue');
    }
    flows.push({ id: 'InboundFlow', file, name: 'connect-lambdas inbound', description: steps.join(', then '), kind: 'CONTACT_FLOW', flow: inbound });
  }
  if (campaign) {
    flows.push({
      id: 'OutboundCampaignFlow',
      file: 'outbound-campaign.json',
      name: 'connect-lambdas outbound campaign',
      description: 'Asks the customer for a choice, records it and connects or says goodbye',
      kind: 'CONTACT_FLOW',
      flow: read(flowsDir, 'outbound-campaign.json'),
    });
  }
  return flows;
}
