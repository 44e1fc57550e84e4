// The contract between the flows in infra/flows/ and the functions: every Lambda a flow
// invokes is one of the suite's contact-flow functions, every parameter it passes is one the
// function reads, and every `$.External.<key>` it reads is a key the function last invoked on
// that path can answer. Functions publish their side in crates/<name>/contract.json.
//
// The walk also checks the flow's shape: only action types Connect accepts in that kind of flow,
// every path ending in a transfer to a queue or a disconnect, and (when asked) no agent queue.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { FUNCTIONS, arnPlaceholder } from './functions';

export interface Contract {
  parameters: string[];
  responseKeys: string[];
}

export interface Action {
  Identifier: string;
  Type: string;
  Parameters?: Record<string, unknown>;
  Transitions?: {
    NextAction?: string;
    Conditions?: { NextAction: string; Condition?: { Operator: string; Operands: string[] } }[];
    Errors?: { NextAction: string; ErrorType?: string }[];
  };
}

export interface Flow {
  StartAction: string;
  Actions: Action[];
}

export type FlowKind = 'CONTACT_FLOW' | 'CUSTOMER_QUEUE';

export interface FlowRules {
  /** The flow's type (`AWS::Connect::ContactFlow` `Type`); `CONTACT_FLOW` by default. */
  kind?: FlowKind;
  /** Refuse any `UpdateContactTargetQueue` with an `AgentId` (a flow that routes through the standard queue). */
  noAgentQueue?: boolean;
}

/**
 * The action types the flows may use, by flow kind, spelled as Connect accepts them: the flow
 * language reference titles "Set routing criteria" `UpdateRoutingCriteria`, but console exports
 * and `CreateContactFlow` use `UpdateContactRoutingCriteria` (see infra/flows/README.md).
 */
const COMMON_TYPES = [
  'CheckHoursOfOperation',
  'Compare',
  'DisconnectParticipant',
  'MessageParticipant',
  'UpdateContactAttributes',
  'UpdateFlowAttributes',
];
export const ACTION_TYPES: Record<FlowKind, readonly string[]> = {
  CONTACT_FLOW: [
    ...COMMON_TYPES,
    'GetParticipantInput',
    'InvokeLambdaFunction',
    'TransferContactToQueue',
    'UpdateContactEventHooks',
    'UpdateContactRoutingCriteria',
    'UpdateContactTargetQueue',
    'UpdateContactTextToSpeechVoice',
  ],
  CUSTOMER_QUEUE: [...COMMON_TYPES, 'DequeueContactAndTransferToQueue', 'MessageParticipantIteratively'],
};

/** Where a path ends: on success the contact leaves the flow (into a queue) or the call ends. */
const ENDS: Record<FlowKind, readonly string[]> = {
  CONTACT_FLOW: ['TransferContactToQueue', 'DisconnectParticipant'],
  CUSTOMER_QUEUE: ['DequeueContactAndTransferToQueue', 'DisconnectParticipant'],
};

/** Every action an action can go on to: `[target, on an error branch]`. */
function successors(action: Action, kind: FlowKind): [string, boolean][] {
  const transitions = action.Transitions ?? {};
  // A transfer's success leaves the flow: only its error branches go on.
  const ends = ENDS[kind].includes(action.Type);
  const next = ends ? [] : [transitions.NextAction, ...(transitions.Conditions ?? []).map((c) => c.NextAction)];
  return [
    ...next.filter((t): t is string => Boolean(t)).map((t): [string, boolean] => [t, false]),
    ...(transitions.Errors ?? []).map((e): [string, boolean] => [e.NextAction, true]),
  ];
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

/**
 * The rules of the flow language reference for `GetParticipantInput`
 * (participant-actions-getparticipantinput, see infra/flows/README.md): `StoreInput` is the
 * string "True" or "False"; `InputValidation` is "required if and only if StoreInput is True";
 * with StoreInput "True" "conditions are not supported"; `DisableCancelKey` is "True" or
 * "False"; `InputTerminationSequence` is "Up to five digits".
 */
function participantInputProblems(action: Action): string[] {
  const id = action.Identifier;
  const parameters = action.Parameters ?? {};
  const problems: string[] = [];
  const store = parameters.StoreInput;
  if (store !== undefined && store !== 'True' && store !== 'False') {
    problems.push(`${id}: StoreInput must be the string "True" or "False", not ${JSON.stringify(store)}`);
  }
  const storing = store === 'True';
  if (storing !== (parameters.InputValidation !== undefined)) {
    problems.push(`${id}: InputValidation is required with StoreInput "True" and allowed only then`);
  }
  if (storing && (action.Transitions?.Conditions ?? []).length > 0) {
    problems.push(`${id}: conditions are not supported with StoreInput "True"`);
  }
  const dtmf = (parameters.DTMFConfiguration ?? {}) as Record<string, unknown>;
  if (dtmf.DisableCancelKey !== undefined && dtmf.DisableCancelKey !== 'True' && dtmf.DisableCancelKey !== 'False') {
    problems.push(`${id}: DisableCancelKey must be the string "True" or "False", not ${JSON.stringify(dtmf.DisableCancelKey)}`);
  }
  const terminator = dtmf.InputTerminationSequence;
  if (terminator !== undefined && !(typeof terminator === 'string' && /^[0-9#*]{1,5}$/.test(terminator))) {
    problems.push(`${id}: InputTerminationSequence must be 1 to 5 keys of 0-9, # and *, not ${JSON.stringify(terminator)}`);
  }
  return problems;
}

/**
 * The rules of the flow language reference for `CheckHoursOfOperation`
 * (flow-control-actions-checkhoursofoperation, see infra/flows/README.md): "There must be a
 * Condition provided for Equals True and a Condition for Equals False, and no other conditions",
 * and its one error is `NoMatchingError`.
 */
function hoursCheckProblems(action: Action): string[] {
  const id = action.Identifier;
  const conditions = action.Transitions?.Conditions ?? [];
  const operands = conditions.map((c) => `${c.Condition?.Operator} ${(c.Condition?.Operands ?? []).join(',')}`).sort();
  const problems: string[] = [];
  if (JSON.stringify(operands) !== JSON.stringify(['Equals False', 'Equals True'])) {
    problems.push(`${id}: CheckHoursOfOperation needs exactly the conditions Equals True and Equals False, not [${operands.join('; ')}]`);
  }
  if (!(action.Transitions?.Errors ?? []).some((e) => e.ErrorType === 'NoMatchingError')) {
    problems.push(`${id}: CheckHoursOfOperation has no NoMatchingError branch`);
  }
  return problems;
}

/**
 * Without `HoursOfOperationId`, CheckHoursOfOperation checks "the TargetQueue's hours of operation
 * for the contact"; an agent queue has none, and the block then takes its error branch
 * (Administrator Guide, "Check hours of operation", configuration tips). So on every path to such
 * a block the working queue must already be a standard queue: the last UpdateContactTargetQueue
 * before it sets a `QueueId`, not an `AgentId`.
 */
function targetQueueProblems(flow: Flow, byId: Map<string, Action>, kind: FlowKind): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const walk: [string, 'none' | 'queue' | 'agent'][] = [[flow.StartAction, 'none']];
  while (walk.length > 0) {
    const [id, target] = walk.pop()!;
    const action = byId.get(id);
    if (action === undefined || seen.has(`${id}|${target}`)) continue;
    seen.add(`${id}|${target}`);
    if (action.Type === 'CheckHoursOfOperation' && action.Parameters?.HoursOfOperationId === undefined && target !== 'queue') {
      problems.push(`${id}: checks the working queue's hours where ${target === 'agent' ? 'an agent queue' : 'no queue'} is set`);
    }
    let after = target;
    if (action.Type === 'UpdateContactTargetQueue') after = action.Parameters?.AgentId !== undefined ? 'agent' : 'queue';
    for (const [next, error] of successors(action, kind)) walk.push([next, error ? target : after]);
  }
  return problems;
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
export function checkFlow(flow: Flow, contracts: Map<string, Contract>, rules: FlowRules = {}): string[] {
  const kind = rules.kind ?? 'CONTACT_FLOW';
  const problems: string[] = [];
  const byId = new Map(flow.Actions.map((a) => [a.Identifier, a]));
  if (byId.size !== flow.Actions.length) problems.push('identifiers are not unique');

  for (const action of flow.Actions) {
    if (!ACTION_TYPES[kind].includes(action.Type)) {
      problems.push(`${action.Identifier}: ${action.Type} is not an action type this suite uses in a ${kind} flow`);
    }
    if (rules.noAgentQueue && action.Type === 'UpdateContactTargetQueue' && action.Parameters?.AgentId !== undefined) {
      problems.push(`${action.Identifier}: sets an agent queue`);
    }
    if (action.Type === 'GetParticipantInput') problems.push(...participantInputProblems(action));
    if (action.Type === 'CheckHoursOfOperation') problems.push(...hoursCheckProblems(action));
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

  problems.push(...targetQueueProblems(flow, byId, kind));

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
    const onError = action.Type === 'InvokeLambdaFunction' ? undefined : external;
    const next = successors(action, kind);
    if (next.length === 0 && !ENDS[kind].includes(action.Type)) {
      problems.push(`${id}: the path ends here, not in a transfer to a queue or a disconnect`);
    }
    for (const [target, error] of next) walk.push([target, error ? onError : after]);
  }

  // No loop without a way out: from every action reached, some path reaches an end.
  const reached = [...new Set([...seen].map((state) => state.split('|')[0]))].filter((id) => byId.has(id));
  const ending = new Set(reached.filter((id) => ENDS[kind].includes(byId.get(id)!.Type)));
  for (let grew = true; grew; ) {
    grew = false;
    for (const id of reached) {
      if (!ending.has(id) && successors(byId.get(id)!, kind).some(([target]) => ending.has(target))) {
        ending.add(id);
        grew = true;
      }
    }
  }
  for (const id of reached) {
    if (!ending.has(id)) problems.push(`${id}: no path from here reaches a transfer to a queue or a disconnect`);
  }
  return [...new Set(problems)];
}

/**
 * The actions a caller goes through when each `Compare` and `GetParticipantInput` finds the
 * given value (`values['$.External.preferAgent']`, `values.input` for keypad input,
 * `values.hours` (`True` or `False`) for CheckHoursOfOperation; a flow attribute the flow sets is
 * taken from its `UpdateFlowAttributes`), until a transfer or a disconnect. Actions succeed
 * unless `values['error:<identifier>']` names an error type (that action takes its error branch
 * of that type, else its first one) or `failing` names the action (its first error branch). For
 * tests and for reading a flow.
 */
export function simulate(
  flow: Flow,
  values: Record<string, string>,
  kind: FlowKind = 'CONTACT_FLOW',
  failing: readonly string[] = [],
): Action[] {
  const byId = new Map(flow.Actions.map((a) => [a.Identifier, a]));
  const known: Record<string, string> = { ...values };
  const path: Action[] = [];
  let id: string | undefined = flow.StartAction;
  while (id !== undefined) {
    const action = byId.get(id);
    if (action === undefined) throw new Error(`a transition leads to ${id}, which does not exist`);
    if (path.length > flow.Actions.length * 4) throw new Error(`the path loops: ${path.map((a) => a.Identifier).join(' ')}`);
    path.push(action);
    const transitions = action.Transitions ?? {};
    const failure = known[`error:${action.Identifier}`] ?? (failing.includes(action.Identifier) ? '' : undefined);
    if (failure !== undefined) {
      const errors = transitions.Errors ?? [];
      const branch = errors.find((e) => e.ErrorType === failure) ?? errors[0];
      if (branch === undefined) throw new Error(`${action.Identifier} has no error branch`);
      id = branch.NextAction;
      continue;
    }
    if (ENDS[kind].includes(action.Type)) break;
    if (action.Type === 'UpdateFlowAttributes') {
      const attributes = (action.Parameters?.FlowAttributes ?? {}) as Record<string, { Value: string }>;
      for (const [name, attribute] of Object.entries(attributes)) known[`$.FlowAttributes.${name}`] = attribute.Value;
    }
    const compared =
      action.Type === 'Compare'
        ? known[String(action.Parameters?.ComparisonValue)]
        : action.Type === 'GetParticipantInput'
          ? known.input
          : action.Type === 'CheckHoursOfOperation'
            ? known.hours
            : undefined;
    const matched = (transitions.Conditions ?? []).find((c) => c.Condition?.Operands?.[0] === compared);
    id = matched?.NextAction ?? transitions.NextAction;
  }
  return path;
}
