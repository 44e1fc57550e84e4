// The flows a stack deploys, made from the files in infra/flows/ for the features it has: a flow
// step of a feature that is off is bypassed (every transition into it goes where the step would
// have led had it not been there), and the steps no path reaches any more are dropped. The
// result is checked like the files themselves (lib/flow-contract.ts, test/flows.test.ts).

import * as fs from 'node:fs';
import * as path from 'node:path';

import { Flow, FlowKind } from './flow-contract';
import { Settings, SettingsError } from './settings';

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

/** The flows of a stack with these settings, in the order they are created, in its language. */
export function flowsFor(settings: Settings, flowsDir: string): DeployedFlow[] {
  const language = readLanguage(flowsDir, settings.language);
  const read = (dir: string, file: string): Flow =>
    localize(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')), file, language, settings);
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

/** A language of infra/flows/languages/<language>.json. */
export interface Language {
  voice: { name: string; engine: string };
  fallbackVoice: { name: string; engine: string };
  /** By flow file, then action: the text in place of the flow's own (none: the flow's own). */
  prompts?: Record<string, Record<string, string>>;
  /** ivr-choice-recorder's messages (`CHOICE_MESSAGES`); none: the function's own. */
  choiceMessages?: Record<string, string>;
}

/** The languages there are prompts for. */
export function languages(flowsDir: string): string[] {
  return fs
    .readdirSync(path.join(flowsDir, 'languages'))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

export function readLanguage(flowsDir: string, language: string): Language {
  const known = languages(flowsDir);
  if (!known.includes(language)) {
    throw new SettingsError(`setting language=${JSON.stringify(language)}: no prompts for it; the languages are ${known.join(', ')} (infra/flows/languages/)`);
  }
  return JSON.parse(fs.readFileSync(path.join(flowsDir, 'languages', `${language}.json`), 'utf8'));
}

/**
 * `flow` (from `file`) spoken in `language`: its prompts replaced by the language's, and its
 * voices set to the language's (the first one `voice`/`voiceEngine` when set).
 */
export function localize(flow: Flow, file: string, language: Language, settings: Settings): Flow {
  const prompts = language.prompts?.[file] ?? {};
  const voice = settings.voice ? { name: settings.voice, engine: settings.voiceEngine } : language.voice;
  return {
    ...flow,
    Actions: flow.Actions.map((action) => {
      const parameters = { ...(action.Parameters ?? {}) };
      if (action.Type === 'UpdateContactTextToSpeechVoice') {
        const chosen = action.Identifier === 'set-fallback-voice' ? language.fallbackVoice : voice;
        parameters.TextToSpeechVoice = chosen.name;
        parameters.TextToSpeechEngine = chosen.engine;
      }
      const text = prompts[action.Identifier];
      if (text !== undefined) {
        if (Array.isArray(parameters.Messages)) parameters.Messages = [{ Text: text }];
        else parameters.Text = text;
      }
      return { ...action, Parameters: parameters };
    }),
  };
}
