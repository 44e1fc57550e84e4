// The contract between the flows in infra/flows/ and the functions: every Lambda a flow
// invokes is one of the suite's contact-flow functions, every parameter it passes is one the
// function reads, and every `$.External.<key>` it reads is a key the function last invoked on
// that path can answer. Functions publish their side in crates/<name>/contract.json.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { FUNCTIONS, arnPlaceholder } from './functions';

export interface Contract {
  parameters: string[];
  responseKeys: string[];
}

interface Action {
  Identifier: string;
  Type: string;
  Parameters?: Record<string, unknown>;
  Transitions?: {
    NextAction?: string;
    Conditions?: { NextAction: string }[];
    Errors?: { NextAction: string; ErrorType?: string }[];
  };
}

export interface Flow {
  StartAction: string;
  Actions: Action[];
}

/** The published contracts of the contact-flow functions, by name. */
export function loadContracts(cratesDir: string): Map<string, Contract> {
  const contracts = new Map<string, Contract>();
  for (const spec of FUNCTIONS.filter((f) => f.contactFlow)) {
    const file = path.join(cratesDir, spec.name, 'contract.json');
    contracts.set(spec.name, JSON.parse(fs.readFileSync(file, 'utf8')) as Contract);
  }
  return contracts;
}

/** `${HolidayCheckArn}` -> `holiday-check`. */
function invokedFunction(arn: unknown): string | undefined {
  return FUNCTIONS.find((f) => arn === `\${${arnPlaceholder(f.name)}}`)?.name;
}

/** Every `$.External.<key>` anywhere in an action's parameters. */
function externalReads(action: Action): string[] {
  const text = JSON.stringify(action.Parameters ?? {});
  return [...text.matchAll(/\$\.External\.([A-Za-z0-9_]+)/g)].map((m) => m[1]);
}

/**
 * The problems of one flow, empty when it keeps the contract. The walk follows every path from
 * the start, carrying the function whose answer `$.External` holds: set by a successful
 * invocation, unknown on its error branches (Connect gives no answer there).
 */
export function checkFlow(flow: Flow, contracts: Map<string, Contract>): string[] {
  const problems: string[] = [];
  const byId = new Map(flow.Actions.map((a) => [a.Identifier, a]));
  if (byId.size !== flow.Actions.length) problems.push('identifiers are not unique');

  for (const action of flow.Actions) {
    if (action.Type !== 'InvokeLambdaFunction') continue;
    const arn = action.Parameters?.LambdaFunctionARN;
    const name = invokedFunction(arn);
    const contract = name === undefined ? undefined : contracts.get(name);
    if (name === undefined || contract === undefined) {
      problems.push(`${action.Identifier}: invokes ${String(arn)}, not a contact-flow function of the stack`);
      continue;
    }
    const passed = Object.keys((action.Parameters?.LambdaInvocationAttributes as object | undefined) ?? {});
    for (const parameter of passed) {
      if (!contract.parameters.includes(parameter)) {
        problems.push(`${action.Identifier}: passes ${parameter}, which ${name} does not read`);
      }
    }
  }

  const seen = new Set<string>();
  const walk: [string, string | undefined][] = [[flow.StartAction, undefined]];
  while (walk.length > 0) {
    const [id, external] = walk.pop()!;
    const state = `${id}|${external ?? ''}`;
    if (seen.has(state)) continue;
    seen.add(state);
    const action = byId.get(id);
    if (action === undefined) {
      problems.push(`a transition leads to ${id}, which does not exist`);
      continue;
    }
    for (const key of externalReads(action)) {
      const keys = external === undefined ? undefined : contracts.get(external)?.responseKeys;
      if (keys === undefined) {
        problems.push(`${id}: reads $.External.${key} where no function has answered`);
      } else if (!keys.includes(key)) {
        problems.push(`${id}: reads $.External.${key}, which ${external} does not answer`);
      }
    }
    const invoked = action.Type === 'InvokeLambdaFunction' ? invokedFunction(action.Parameters?.LambdaFunctionARN) : undefined;
    const after = action.Type === 'InvokeLambdaFunction' ? invoked : external;
    const transitions = action.Transitions ?? {};
    const next = [transitions.NextAction, ...(transitions.Conditions ?? []).map((c) => c.NextAction)];
    for (const target of next) if (target) walk.push([target, after]);
    const onError = action.Type === 'InvokeLambdaFunction' ? undefined : external;
    for (const error of transitions.Errors ?? []) walk.push([error.NextAction, onError]);
  }
  return [...new Set(problems)];
}
