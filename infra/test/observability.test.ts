// The dashboard, the alarms and the saved Logs Insights queries, checked against the metrics
// contract in docs/operations.md ("Metrics"): names, namespace and dimension sets.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

import { FUNCTIONS } from '../lib/functions';
import { CONTACT_ID_PLACEHOLDER, NAMESPACE } from '../lib/observability';
import { SettingsError } from '../lib/settings';
import { EVERY_FUNCTION, ROOT, settings, synth } from './support';

const OPERATIONS = fs.readFileSync(path.join(ROOT, 'docs', 'operations.md'), 'utf8');
const DEPLOY = fs.readFileSync(path.join(ROOT, 'docs', 'deploy.md'), 'utf8');
/** The page's `## <heading>` section, up to the next `## `. */
function section(page: string, heading: string): string {
  const start = page.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, heading);
  const end = page.indexOf('\n## ', start + 1);
  return page.slice(start + 1, end < 0 ? undefined : end);
}
const METRICS_SECTION = section(OPERATIONS, 'Metrics');

const { stack, template } = synth({ ...EVERY_FUNCTION, campaign: 'spring-sale' });
const TOPIC = { Ref: only(template, 'AWS::SNS::Topic', 'AlertTopic')[0] };

/** The one resource of a type whose logical id starts with `prefix`. */
function only(from: Template, type: string, prefix: string): [string, Record<string, any>] {
  const found = Object.entries(from.findResources(type)).filter(([id]) => id.startsWith(prefix));
  assert.equal(found.length, 1, `${type} ${prefix}*: ${found.map(([id]) => id).join(', ')}`);
  return found[0];
}

function alarm(prefix: string, from = template): Record<string, any> {
  return only(from, 'AWS::CloudWatch::Alarm', prefix)[1].Properties;
}

/** The metrics table of docs/operations.md: each metric's dimension sets, each set sorted. */
function contract(): Map<string, string[][]> {
  const table = METRICS_SECTION.slice(METRICS_SECTION.indexOf('| metric | unit | dimensions | meaning |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  const metrics = new Map<string, string[][]>();
  for (const row of rows) {
    const [, name, , dimensions] = row.split('|').map((cell) => cell.trim());
    const sets = dimensions.split(';').map((set) => set.split(',').map((d) => d.trim()).sort());
    metrics.set(name.replace(/`/g, ''), sets);
  }
  return metrics;
}
const CONTRACT = contract();

/** A template value with its CloudFormation functions flattened to text (tokens become `TOKEN`). */
function text(value: any): string {
  if (typeof value === 'string') return value;
  if (value && Array.isArray(value['Fn::Join'])) {
    const [separator, parts] = value['Fn::Join'];
    return parts.map((p: any) => (typeof p === 'string' ? p : 'TOKEN')).join(separator);
  }
  return 'TOKEN';
}

function dashboardOf(from: Template): { name: string; raw: any; body: any } {
  const [, dashboard] = only(from, 'AWS::CloudWatch::Dashboard', 'Dashboard');
  return { name: text(dashboard.Properties.DashboardName), raw: dashboard.Properties.DashboardBody, body: JSON.parse(text(dashboard.Properties.DashboardBody)) };
}

/** Each graphed metric of the contract's namespace as name and dimensions; expressions apart. */
function graphed(body: any): { metrics: { name: string; dimensions: Record<string, string>; stat: string }[]; expressions: string[] } {
  const metrics: { name: string; dimensions: Record<string, string>; stat: string }[] = [];
  const expressions: string[] = [];
  for (const widget of body.widgets) {
    for (const entry of widget.properties.metrics ?? []) {
      if (typeof entry[0] === 'object') {
        expressions.push(entry[0].expression);
        continue;
      }
      const options = typeof entry[entry.length - 1] === 'object' ? entry[entry.length - 1] : {};
      const [namespace, name, ...pairs] = entry.filter((e: unknown) => typeof e === 'string');
      if (namespace !== NAMESPACE) continue;
      const dimensions: Record<string, string> = {};
      for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i]] = pairs[i + 1];
      metrics.push({ name, dimensions, stat: options.stat });
    }
  }
  return { metrics, expressions };
}

function logicalId(name: string): string {
  return stack.getLogicalId(stack.functions[name].node.defaultChild as CfnElement);
}

/** A function's log group, as the template names it. */
function logGroupOf(name: string): Record<string, string> {
  return template.toJSON().Resources[logicalId(name)].Properties.LoggingConfig.LogGroup;
}

describe('the metrics contract (docs/operations.md)', () => {
  it('is read from docs/operations.md: every metric carries Function', () => {
    assert.ok(CONTRACT.size >= 20, [...CONTRACT.keys()].join(', '));
    for (const [name, sets] of CONTRACT) {
      for (const set of sets) assert.ok(set.includes('Function'), `${name}: ${set.join(', ')}`);
    }
  });
});

describe('dashboard', () => {
  const { name, raw, body } = dashboardOf(template);
  const { metrics, expressions } = graphed(body);

  it('is named after the stack and its Region, and opens on the last day', () => {
    assert.equal(name, `${stack.stackName}-ap-northeast-1`);
    assert.equal(body.start, '-P1D');
  });

  it('names every metric of the contract', () => {
    const shown = new Set(metrics.map((m) => m.name));
    for (const metric of CONTRACT.keys()) {
      const searched = expressions.some((e) => e.includes(`MetricName="${metric}"`));
      assert.ok(shown.has(metric) || searched, `${metric} is not on the dashboard`);
      assert.ok(JSON.stringify(raw).includes(metric), metric);
    }
  });

  it("graphs each metric with one of the contract's dimension sets, for the suite's functions and the campaign", () => {
    const names = FUNCTIONS.map((f) => f.name);
    for (const m of metrics) {
      const sets = CONTRACT.get(m.name);
      assert.ok(sets, `${m.name} is not in the contract`);
      const keys = Object.keys(m.dimensions).sort();
      assert.ok(sets.some((s) => s.join() === keys.join()), `${m.name} by ${keys.join(', ')}: not one of ${sets.map((s) => s.join(', ')).join('; ')}`);
      assert.ok(names.includes(m.dimensions.Function), `${m.name}: Function=${m.dimensions.Function}`);
      if ('Campaign' in m.dimensions) assert.equal(m.dimensions.Campaign, 'spring-sale', m.name);
    }
    // The search over why runs stopped uses the contract's set too.
    const search = expressions.find((e) => e.includes('CampaignRuns'));
    assert.match(search ?? '', /^SEARCH\('\{ConnectLambdas,Function,Campaign,Stopped\} MetricName="CampaignRuns" Function="campaign-dialer" Campaign="spring-sale"', 'Sum', 300\)$/);
  });

  it('one row per job: holidays, routing, campaign, each under its alarm status', () => {
    const rows = new Map<number, any[]>();
    for (const widget of body.widgets) rows.set(widget.y, [...(rows.get(widget.y) ?? []), widget]);
    const ordered = [...rows.entries()].sort(([a], [b]) => a - b).map(([, widgets]) => widgets);
    assert.deepEqual(
      ordered.filter((r) => r[0].type === 'alarm').map((r) => r[0].properties.title),
      ['Holidays: alarms', 'Routing: alarms', 'Campaign: alarms'],
    );
    for (const row of ordered) assert.ok(row.reduce((width: number, w: any) => width + w.width, 0) <= 24);
    const titles = body.widgets.map((w: any) => w.properties.title);
    for (const title of ['holiday-check answers', 'Holiday list age (hours)', 'last-agent-lookup answers', 'agent-picker answers', 'Dialing (spring-sale)']) {
      assert.ok(titles.includes(title), title);
    }
  });

  it('outcome graphs show each outcome; latency p50 and p99 of the functions a flow waits on', () => {
    const has = (name: string, dimensions: Record<string, string>, stat = 'Sum') =>
      assert.ok(
        metrics.some((m) => m.name === name && m.stat === stat && JSON.stringify(Object.entries(m.dimensions).sort()) === JSON.stringify(Object.entries(dimensions).sort())),
        `${name} ${JSON.stringify(dimensions)} ${stat}`,
      );
    for (const o of ['open', 'holiday', 'closed_early', 'error']) has('HolidayAnswers', { Function: 'holiday-check', Outcome: o });
    for (const o of ['preferred', 'not_found', 'agent_logged_out', 'agent_busy', 'not_serving_queue', 'error']) has('Lookups', { Function: 'last-agent-lookup', Outcome: o });
    for (const o of ['picked', 'none_available', 'error']) has('Picks', { Function: 'agent-picker', Outcome: o });
    for (const o of ['recorded', 'skipped', 'failed']) has('Assignments', { Function: 'assignment-recorder', Outcome: o });
    for (const t of ['CalendarDownloadFailed', 'InvalidCalendar', 'NoHolidays', 'TooManyHolidaysDropped', 'TooManyHolidaysAdded', 'HolidayStoreFailed']) {
      has('HolidayRefusals', { Function: 'holiday-fetcher', ErrorType: t });
    }
    for (const c of ['created', 'removed', 'linked']) has('OverrideChanges', { Function: 'holiday-fetcher', Change: c });
    for (const c of ['talk_now', 'call_back', 'email', 'not_interested', 'opted_out', 'no_input', 'transfer_failed']) {
      has('CampaignAnswers', { Function: 'ivr-choice-recorder', Campaign: 'spring-sale', Outcome: c });
    }
    for (const counter of ['CallsPlaced', 'CallsNoAnswer', 'CallsRefused', 'RetriesScheduled', 'OptedOutSkipped', 'CampaignRunsFailed', 'CampaignStalled']) {
      has(counter, { Function: 'campaign-dialer', Campaign: 'spring-sale' });
    }
    for (const fn of ['holiday-check', 'last-agent-lookup', 'agent-picker', 'ivr-choice-recorder']) {
      has('AnswerLatency', { Function: fn }, 'p50');
      has('AnswerLatency', { Function: fn }, 'p99');
    }
    has('HolidayListPublished', { Function: 'holiday-fetcher' });
    for (const fn of ['last-agent-lookup', 'agent-picker']) has('ConnectRequests', { Function: fn });
  });

  it('the holiday list age per site, with a line at the maximum age', () => {
    const age = body.widgets.find((w: any) => w.properties.title === 'Holiday list age (hours)').properties;
    assert.deepEqual(age.annotations.horizontal.map((a: any) => a.value), [192]);
    const multi = dashboardOf(synth({ sites: JSON.stringify([{ name: 'tokyo' }, { name: 'osaka' }]), maxHolidayListAgeDays: '3' }).template).body;
    const ages = multi.widgets.find((w: any) => w.properties.title === 'Holiday list age (hours)').properties;
    assert.deepEqual(ages.annotations.horizontal.map((a: any) => a.value), [72]);
    const sites = ages.metrics.map((m: any[]) => `${m[3]}/${m[5]}`);
    assert.deepEqual(sites, ['holiday-check/tokyo', 'holiday-fetcher/tokyo', 'holiday-check/osaka', 'holiday-fetcher/osaka']);
  });

  it("the dead-letter queue's depth is graphed", () => {
    const dlq = body.widgets.find((w: any) => w.properties.title === 'Contact events dead-lettered').properties;
    assert.equal(dlq.metrics[0][0], 'AWS/SQS');
    assert.equal(dlq.metrics[0][1], 'ApproximateNumberOfMessagesVisible');
  });

  it('the alarm status rows show every alarm of the stack', () => {
    const raw = JSON.stringify(dashboardOf(template).raw);
    for (const id of Object.keys(template.findResources('AWS::CloudWatch::Alarm'))) {
      assert.ok(raw.includes(`{"Fn::GetAtt":["${id}","Arn"]}`), id);
    }
  });
});

describe('alarms', () => {
  const base = { AlarmActions: [TOPIC], TreatMissingData: 'notBreaching' };

  it('every alarm tells the alert topic, and missing data is not breaching', () => {
    const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm'));
    assert.equal(alarms.length, FUNCTIONS.length * 2 + 8);
    for (const [id, a] of alarms) {
      assert.deepEqual(a.Properties.AlarmActions, [TOPIC], id);
      assert.equal(a.Properties.TreatMissingData, 'notBreaching', id);
    }
  });

  it('a holiday list older than maxHolidayListAgeDays (hourly maximum of holiday-check)', () => {
    assert.deepEqual(alarm('HolidayListAgeAlarm'), {
      ...base,
      AlarmDescription: alarm('HolidayListAgeAlarm').AlarmDescription,
      Namespace: 'ConnectLambdas',
      MetricName: 'HolidayListAgeHours',
      Dimensions: [{ Name: 'Function', Value: 'holiday-check' }],
      Statistic: 'Maximum',
      Period: 3600,
      EvaluationPeriods: 1,
      Threshold: 8 * 24,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    assert.equal(alarm('HolidayListAgeAlarm', synth({ maxHolidayListAgeDays: '2' }).template).Threshold, 48);
  });

  it('any holiday-check error answer in five minutes', () => {
    assert.deepEqual(alarm('HolidayAnswerErrorsAlarm'), {
      ...base,
      AlarmDescription: alarm('HolidayAnswerErrorsAlarm').AlarmDescription,
      Namespace: 'ConnectLambdas',
      MetricName: 'HolidayAnswers',
      Dimensions: [
        { Name: 'Function', Value: 'holiday-check' },
        { Name: 'Outcome', Value: 'error' },
      ],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  for (const [prefix, fn, metricName] of [
    ['LookupErrorShareAlarm', 'last-agent-lookup', 'Lookups'],
    ['PickErrorShareAlarm', 'agent-picker', 'Picks'],
  ]) {
    it(`${fn}: errors over lookupErrorPercent of its ${metricName}, in 2 of 3 five-minute periods`, () => {
      const stat = (dimensions: { Name: string; Value: string }[]) => ({
        Metric: { Namespace: 'ConnectLambdas', MetricName: metricName, Dimensions: dimensions },
        Period: 300,
        Stat: 'Sum',
      });
      const props = alarm(prefix);
      assert.deepEqual(props, {
        ...base,
        AlarmDescription: props.AlarmDescription,
        Metrics: [
          { Id: 'expr_1', Expression: '100 * FILL(errors, 0) / total', Label: `${fn} errors (% of ${metricName})`, ReturnData: true },
          {
            Id: 'errors',
            MetricStat: stat([
              { Name: 'Function', Value: fn },
              { Name: 'Outcome', Value: 'error' },
            ]),
            ReturnData: false,
          },
          { Id: 'total', MetricStat: stat([{ Name: 'Function', Value: fn }]), ReturnData: false },
        ],
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      assert.equal(alarm(prefix, synth({ ...EVERY_FUNCTION, lookupErrorPercent: '12' }).template).Threshold, 12);
    });
  }

  it("each feature brings its own alarms and dashboard row, and only those", () => {
    const ids = (from: typeof template) => Object.keys(from.findResources('AWS::CloudWatch::Alarm')).map((id) => id.replace(/[0-9A-F]{8}$/, ''));
    const rows = (from: typeof template) =>
      [...JSON.stringify(from.findResources('AWS::CloudWatch::Dashboard')).matchAll(/\\"title\\":\\"([A-Za-z]+): alarms\\"/g)].map((m) => m[1]);
    const campaignOnly = synth({ features: 'campaign' }).template;
    assert.deepEqual(rows(campaignOnly), ['Holidays', 'Campaign'], 'the dialer brings the holiday list and its fetcher');
    assert.deepEqual(
      ids(campaignOnly).filter((id) => !/(Errors|Throttles)Alarm$/.test(id)).sort(),
      ['CampaignRunFailedAlarm', 'CampaignStalledAlarm'],
    );
    const routingOnly = synth({ features: 'returningCallers' }).template;
    assert.deepEqual(rows(routingOnly), ['Routing']);
    assert.deepEqual(
      ids(routingOnly).filter((id) => !/(Errors|Throttles)Alarm$/.test(id)).sort(),
      ['AssignmentRecorderDeadLettersAlarm', 'AssignmentsNotRecordedAlarm', 'LookupErrorShareAlarm'],
    );
    assert.deepEqual(rows(synth({ features: 'holidays' }).template), ['Holidays']);
    assert.ok(!ids(template).some((id) => id.startsWith('Unknown')));
    assert.ok(!ids(synth().template).includes('PickErrorShareAlarm'), 'agent-picker runs only with the direct routing');
  });

  it('a day of lookups with no assignment recorded: contact events are not being recorded', () => {
    const props = alarm('AssignmentsNotRecordedAlarm');
    assert.equal(props.Threshold, 1);
    assert.equal(props.EvaluationPeriods, 1);
    assert.equal(props.ComparisonOperator, 'GreaterThanOrEqualToThreshold');
    assert.equal(props.TreatMissingData, 'notBreaching');
    assert.deepEqual(props.AlarmActions, [TOPIC]);
    const [expression, ...inputs] = props.Metrics;
    assert.equal(expression.Expression, 'IF(FILL(lookups, 0) > 0 AND FILL(recorded, 0) == 0, 1, 0)');
    const byId = Object.fromEntries(inputs.map((m: any) => [m.Id, m.MetricStat]));
    assert.deepEqual(byId.lookups.Metric, { Namespace: 'ConnectLambdas', MetricName: 'Lookups', Dimensions: [{ Name: 'Function', Value: 'last-agent-lookup' }] });
    assert.deepEqual(byId.recorded.Metric.Dimensions, [
      { Name: 'Function', Value: 'assignment-recorder' },
      { Name: 'Outcome', Value: 'recorded' },
    ]);
    assert.equal(byId.recorded.Metric.MetricName, 'Assignments');
    assert.deepEqual([byId.lookups.Period, byId.lookups.Stat, byId.recorded.Period], [86400, 'Sum', 86400]);
  });

  it('the dead-letter alarm kept its logical id when it moved to observability.ts', () => {
    const [id] = only(template, 'AWS::CloudWatch::Alarm', 'AssignmentRecorderDeadLettersAlarm');
    assert.equal(id, 'AssignmentRecorderDeadLettersAlarmF4E2229B');
    const props = alarm('AssignmentRecorderDeadLettersAlarm');
    assert.equal(props.Namespace, 'AWS/SQS');
    assert.equal(props.Statistic, 'Maximum');
    assert.equal(props.Threshold, 1);
    assert.deepEqual(props.AlarmActions, [TOPIC]);
  });

  it('a failed campaign run, and a campaign whose every run stalled for 15 minutes', () => {
    const dialer = [
      { Name: 'Campaign', Value: 'spring-sale' },
      { Name: 'Function', Value: 'campaign-dialer' },
    ];
    assert.deepEqual(alarm('CampaignRunFailedAlarm'), {
      ...base,
      AlarmDescription: alarm('CampaignRunFailedAlarm').AlarmDescription,
      Namespace: 'ConnectLambdas',
      MetricName: 'CampaignRunsFailed',
      Dimensions: dialer,
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    assert.deepEqual(alarm('CampaignStalledAlarm'), {
      ...base,
      AlarmDescription: alarm('CampaignStalledAlarm').AlarmDescription,
      Namespace: 'ConnectLambdas',
      MetricName: 'CampaignStalled',
      Dimensions: dialer,
      Statistic: 'Minimum',
      Period: 900,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    // A run that reads due rows and dials none while agents are free is stalled too.
    assert.match(String(alarm('CampaignStalledAlarm').AlarmDescription), /read while agents were free and none dialed/);
    // With or without a dialer schedule: a run by hand stalls or fails the same.
    const scheduled = synth({ dialerSchedule: 'rate(5 minutes)' }).template;
    alarm('CampaignStalledAlarm', scheduled);
    alarm('CampaignRunFailedAlarm', scheduled);
  });

  it("every alarm on the suite's metrics uses a dimension set of the contract", () => {
    for (const [id, a] of Object.entries(template.findResources('AWS::CloudWatch::Alarm'))) {
      const stats = a.Properties.Metrics
        ? a.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric)
        : [a.Properties];
      for (const m of stats) {
        if (m.Namespace !== NAMESPACE) continue;
        const keys = m.Dimensions.map((d: any) => d.Name).sort().join();
        assert.ok(CONTRACT.get(m.MetricName)?.some((s) => s.join() === keys), `${id}: ${m.MetricName} by ${keys}`);
      }
    }
  });
});

describe('settings of the alarms', () => {
  it('defaults: 8 days, 5 %', () => {
    const s = settings();
    assert.equal(s.maxHolidayListAgeDays, 8);
    assert.equal(s.lookupErrorPercent, 5);
  });

  it('within their limits are taken', () => {
    const low = settings({ maxHolidayListAgeDays: '1', lookupErrorPercent: '1' });
    assert.deepEqual([low.maxHolidayListAgeDays, low.lookupErrorPercent], [1, 1]);
    const high = settings({ maxHolidayListAgeDays: ' 90 ', lookupErrorPercent: '100' });
    assert.deepEqual([high.maxHolidayListAgeDays, high.lookupErrorPercent], [90, 100]);
  });

  it('refuses what cannot work, naming the setting', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ maxHolidayListAgeDays: '0' }, /maxHolidayListAgeDays="0": expected whole days, 1 to 90/],
      [{ maxHolidayListAgeDays: '91' }, /maxHolidayListAgeDays="91": expected whole days, 1 to 90/],
      [{ maxHolidayListAgeDays: '1.5' }, /maxHolidayListAgeDays/],
      [{ maxHolidayListAgeDays: 'a week' }, /maxHolidayListAgeDays/],
      [{ lookupErrorPercent: '0' }, /lookupErrorPercent="0": expected a whole percentage, 1 to 100/],
      [{ lookupErrorPercent: '101' }, /lookupErrorPercent="101": expected a whole percentage, 1 to 100/],
      [{ lookupErrorPercent: '5%' }, /lookupErrorPercent/],
      [{ lookupErrorPercent: '-5' }, /lookupErrorPercent/],
    ];
    for (const [context, message] of cases) {
      assert.throws(() => settings(context), (e: unknown) => e instanceof SettingsError && message.test(e.message), JSON.stringify(context));
    }
  });
});

describe('saved Logs Insights queries', () => {
  const queries = Object.values(template.findResources('AWS::Logs::QueryDefinition')).map((q) => q.Properties);
  const byName = (name: string) => {
    const found = queries.find((q) => q.Name === `${stack.stackName}/${name}`);
    assert.ok(found, `${name}: ${queries.map((q) => q.Name).join(', ')}`);
    return found;
  };
  const every = FUNCTIONS.map((f) => logGroupOf(f.name));

  it('four queries, named under the stack', () => {
    assert.deepEqual(queries.map((q) => q.Name).sort(), [
      `${stack.stackName}/contact path (replace ${CONTACT_ID_PLACEHOLDER})`,
      `${stack.stackName}/customer choices by hour (spring-sale)`,
      `${stack.stackName}/dial outcomes by hour (spring-sale)`,
      `${stack.stackName}/refusals (run over the last 24 hours)`,
    ]);
  });

  it("one contact's path through every function, by either spelling of its id", () => {
    const q = byName(`contact path (replace ${CONTACT_ID_PLACEHOLDER})`);
    assert.deepEqual(q.LogGroupNames, every);
    assert.ok(q.QueryString.includes(`filter contact_id = "${CONTACT_ID_PLACEHOLDER}" or contactId = "${CONTACT_ID_PLACEHOLDER}"`));
    assert.ok(q.QueryString.includes('sort @timestamp asc'));
    assert.ok(q.QueryString.includes('@log'));
  });

  it("the day's refusals: error lines and the EMF lines of failures, from every function", () => {
    const q = byName('refusals (run over the last 24 hours)');
    assert.deepEqual(q.LogGroupNames, every);
    const filter = q.QueryString.split('\n').find((l: string) => l.startsWith('| filter '));
    for (const term of ['level = "ERROR"', 'Outcome = "error"', 'Outcome = "failed"', 'ispresent(ErrorType)', 'CampaignRunsFailed > 0', 'CallsRefused > 0', 'ChoicesNotRecorded > 0', 'OverrideSyncFailures > 0', 'RestrictedPeriodSyncFailures > 0']) {
      assert.ok(filter.includes(term), term);
    }
    assert.ok(q.QueryString.includes('Stopped'));
    assert.ok(q.QueryString.includes('sort @timestamp desc'));
  });

  it("dial outcomes by hour from the dialer's EMF lines, and choices by hour from ivr-choice-recorder's", () => {
    const dial = byName('dial outcomes by hour (spring-sale)');
    assert.deepEqual(dial.LogGroupNames, [logGroupOf('campaign-dialer')]);
    assert.ok(dial.QueryString.startsWith('filter Function = "campaign-dialer" and Campaign = "spring-sale"'));
    assert.ok(
      dial.QueryString.includes(
        'stats sum(CallsPlaced) as placed, sum(CallsNoAnswer) as noAnswer, sum(CallsRefused) as refused, sum(RetriesScheduled) as retries by bin(1h)',
      ),
    );
    const choices = byName('customer choices by hour (spring-sale)');
    assert.deepEqual(choices.LogGroupNames, [logGroupOf('ivr-choice-recorder')]);
    assert.ok(choices.QueryString.startsWith('filter Function = "ivr-choice-recorder" and Campaign = "spring-sale"'));
    assert.ok(choices.QueryString.includes('stats count(*) as choices by Outcome, bin(1h)'));
  });

  it('docs/operations.md shows each query as saved (with the default campaign)', () => {
    const queries = section(OPERATIONS, 'Logs Insights queries');
    const saved = Object.values(synth().template.findResources('AWS::Logs::QueryDefinition'));
    assert.equal(saved.length, 4);
    for (const q of saved) {
      assert.ok(queries.includes('```\n' + q.Properties.QueryString + '\n```'), q.Properties.Name);
    }
  });
});

describe('docs/operations.md', () => {
  it('documents the dashboard, each alarm and a runbook for it, and the two settings', () => {
    for (const heading of ['Dashboard', 'Alarms', 'Logs Insights queries', 'Runbooks']) section(OPERATIONS, heading);
    const alarms = section(OPERATIONS, 'Alarms');
    for (const metric of ['HolidayListAgeHours', 'HolidayAnswers', 'Lookups', 'Picks', 'ApproximateNumberOfMessagesVisible', 'AssignmentsNotRecordedAlarm', 'CampaignRunsFailed', 'CampaignStalled']) {
      assert.ok(alarms.includes(metric), metric);
    }
    const runbooks = section(OPERATIONS, 'Runbooks');
    const named = [...alarms.matchAll(/^\| `([A-Za-z]+Alarm)` \|/gm)].map((m) => m[1]);
    assert.ok(named.length >= 8, named.join(', '));
    for (const alarm of named) assert.ok(runbooks.includes(alarm), `a runbook for ${alarm}`);
    assert.match(DEPLOY, /\| `maxHolidayListAgeDays` \| `8` \|/);
    assert.match(DEPLOY, /\| `lookupErrorPercent` \| `5` \|/);
  });
});
