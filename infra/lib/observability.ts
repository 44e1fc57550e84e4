// What the people running the suite look at: a dashboard with one row per job (holidays,
// routing, campaign), the alarms on the suite's own metrics, and saved Logs Insights queries.
// The metrics are the ones the functions write in CloudWatch embedded metric format (EMF), with
// the names, units and dimension sets of the contract in docs/operations.md ("Metrics"): every
// metric carries `Function` (the suite's name of the function, such as
// `holiday-check`), and an outcome counter is also published without its `Outcome`, a total.
//
// Alarms are created in the stack's own scope, so their logical ids read as their names
// (`HolidayListAgeAlarm`) and the dead-letter alarm, moved here from stack.ts, keeps its id.
// Missing data is "not breaching" for every alarm: the EMF lines exist only when a function
// runs, so no data means no caller and no run to worry about, never a failure.

import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import { pascal } from './functions';
import { DEFAULT_SITE, Settings } from './settings';

/** The EMF namespace of every metric of the suite. */
export const NAMESPACE = 'ConnectLambdas';

/** The contact id the contact-path query looks for, until the user puts theirs in its place. */
export const CONTACT_ID_PLACEHOLDER = 'REPLACE-WITH-CONTACT-ID';

// The dimension values the contract (docs/operations.md) lists, in the order the graphs show them.
const HOLIDAY_OUTCOMES = ['open', 'holiday', 'closed_early', 'error'];
const HOLIDAY_REFUSALS = [
  'CalendarDownloadFailed', 'InvalidCalendar', 'NoHolidays', 'TooManyHolidaysDropped', 'TooManyHolidaysAdded', 'HolidayStoreFailed',
];
const OVERRIDE_CHANGES = ['created', 'removed', 'linked'];
const PERIOD_CHANGES = ['added', 'removed'];
const LOOKUP_OUTCOMES = ['preferred', 'not_found', 'agent_logged_out', 'agent_busy', 'not_serving_queue', 'error'];
const PICK_OUTCOMES = ['picked', 'none_available', 'error'];
const ASSIGNMENT_OUTCOMES = ['recorded', 'skipped', 'failed'];
const CAMPAIGN_CHOICES = ['talk_now', 'call_back', 'email', 'not_interested', 'opted_out', 'no_input', 'transfer_failed'];
const DIAL_COUNTERS = ['CallsPlaced', 'CallsNoAnswer', 'CallsRefused', 'RetriesScheduled', 'OptedOutSkipped'];

/** The functions of each row of the dashboard (their Lambda error and throttle alarms go in the row's status). */
const ROWS: { title: string; functions: string[] }[] = [
  { title: 'Holidays', functions: ['holiday-fetcher', 'holiday-check'] },
  { title: 'Routing', functions: ['last-agent-lookup', 'agent-picker', 'assignment-recorder'] },
  { title: 'Campaign', functions: ['ivr-choice-recorder', 'campaign-dialer'] },
];

const FIVE_MINUTES = Duration.minutes(5);
const ONE_HOUR = Duration.hours(1);
const ONE_DAY = Duration.days(1);

export interface ObservabilityProps {
  /** The suite's functions by their suite name (`holiday-check`, ...). */
  functions: Record<string, lambda.Function>;
  /** Where every alarm goes. */
  alerts: sns.ITopic;
  /** assignment-recorder's dead-letter queue (with the returning-caller feature): its depth is graphed and alarmed on. */
  recorderDeadLetters?: sqs.IQueue;
  settings: Settings;
}

export interface Observability {
  dashboard: cloudwatch.Dashboard;
  /** By logical id. */
  alarms: Record<string, cloudwatch.Alarm>;
  /** By logical id. */
  queries: Record<string, logs.QueryDefinition>;
}

/** One metric of the contract. */
function metric(
  metricName: string,
  dimensionsMap: Record<string, string>,
  statistic = 'Sum',
  period = FIVE_MINUTES,
  label?: string,
): cloudwatch.Metric {
  return new cloudwatch.Metric({ namespace: NAMESPACE, metricName, dimensionsMap, statistic, period, label });
}

function graph(title: string, width: number, left: cloudwatch.IMetric[], more: Partial<cloudwatch.GraphWidgetProps> = {}) {
  return new cloudwatch.GraphWidget({ title, width, height: 6, left, legendPosition: cloudwatch.LegendPosition.BOTTOM, ...more });
}

/** p50 and p99 of AnswerLatency for each function. */
function latency(functions: string[]): cloudwatch.Metric[] {
  return functions.flatMap((fn) =>
    ['p50', 'p99'].map((p) => metric('AnswerLatency', { Function: fn }, p, FIVE_MINUTES, functions.length > 1 ? `${fn} ${p}` : p)),
  );
}

/**
 * The dashboard, the alarms and the saved queries. Call once the functions, the alert topic and
 * the dead-letter queue exist (and after the functions' own error and throttle alarms, which
 * the dashboard's alarm status rows pick up by their ids).
 */
export function addObservability(scope: Construct, props: ObservabilityProps): Observability {
  const { functions, alerts, recorderDeadLetters, settings } = props;
  const stack = Stack.of(scope);
  const campaign = settings.campaign;
  const sites = settings.sites ? settings.sites.sites.map((s) => s.name) : [DEFAULT_SITE];
  const maxAgeHours = settings.maxHolidayListAgeDays * 24;
  const alarms: Record<string, cloudwatch.Alarm> = {};
  const action = new cloudwatchActions.SnsAction(alerts);
  // Only the functions the stack deploys (its features) get their rows, alarms and queries.
  const has = (fn: string) => fn in functions;
  const alarm = (id: string, alarmProps: cloudwatch.AlarmProps) => {
    const created = new cloudwatch.Alarm(scope, id, {
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...alarmProps,
    });
    created.addAlarmAction(action);
    alarms[id] = created;
    return created;
  };

  // --- Alarms ---

  // A list older than the setting is the calendar feed or holiday-fetcher broken for days: a
  // holiday added since (or a closure) is answered "open" and callers hear the wrong greeting.
  // Hourly maximum over every site (the per-Function series); no answers, no data: nobody heard it.
  const holidayListAge = has('holiday-check') && alarm('HolidayListAgeAlarm', {
    alarmDescription: `holiday-check answered from a holiday list older than ${settings.maxHolidayListAgeDays} days (maxHolidayListAgeDays): holiday-fetcher has not refreshed it`,
    metric: metric('HolidayListAgeHours', { Function: 'holiday-check' }, 'Maximum', ONE_HOUR),
    threshold: maxAgeHours,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  });

  // One error answer is a caller routed on the flow's error branch (no usable list, unknown site).
  const holidayErrors = has('holiday-check') && alarm('HolidayAnswerErrorsAlarm', {
    alarmDescription: 'holiday-check answered "error" (no usable holiday list, unknown site or malformed event): callers took the flow\'s error branch',
    metric: metric('HolidayAnswers', { Function: 'holiday-check', Outcome: 'error' }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  });

  // The routing functions answer "error" now and then (a Connect throttle past the retry budget);
  // a share of the calls, not a count, says whether routing is broken. 2 of 3 five-minute
  // periods: one bad period of a quiet hour (1 error in a handful of calls) is not an incident,
  // two within fifteen minutes is, and an error-free period between them does not hide it.
  // FILL: a period with calls and no error has no `Outcome: error` datapoint, and reads as 0 %
  // rather than a gap; a period without calls (no total) stays without data.
  const errorShare = (id: string, fn: string, metricName: string, what: string) =>
    alarm(id, {
      alarmDescription: `${fn}: more than ${settings.lookupErrorPercent} % of its answers were errors (lookupErrorPercent) in 2 of 3 five-minute periods: ${what}`,
      metric: new cloudwatch.MathExpression({
        expression: '100 * FILL(errors, 0) / total',
        usingMetrics: {
          errors: metric(metricName, { Function: fn, Outcome: 'error' }),
          total: metric(metricName, { Function: fn }),
        },
        period: FIVE_MINUTES,
        label: `${fn} errors (% of ${metricName})`,
      }),
      threshold: settings.lookupErrorPercent,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
  const lookupErrors = has('last-agent-lookup') && errorShare(
    'LookupErrorShareAlarm',
    'last-agent-lookup',
    'Lookups',
    'returning callers are not offered their last agent',
  );
  const pickErrors = has('agent-picker') && errorShare('PickErrorShareAlarm', 'agent-picker', 'Picks', 'callers are not handed to a free agent');

  // Contact events assignment-recorder could not record (Lambda's retries or EventBridge's used
  // up), kept for a replay: the caller's next call will not find their agent. One dead letter in
  // five minutes tells the alert topic. Moved from stack.ts with its logical id unchanged.
  const deadLetters = recorderDeadLetters !== undefined && alarm('AssignmentRecorderDeadLettersAlarm', {
    alarmDescription: 'assignment-recorder: contact events not recorded (in the dead-letter queue)',
    metric: recorderDeadLetters.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  });

  // A day of lookups without one assignment recorded: the contact-event rule (its instance, its
  // pattern), the recorder's role or its DescribeContact calls are broken, every event is
  // skipped, or events never arrive. Nothing else shows it: no event means no error and no dead
  // letter, and returning callers are simply never preferred again. A day, because a quiet
  // center may go hours between answered calls; no lookups (a closed day) is not breaching.
  const notRecorded = has('assignment-recorder') && alarm('AssignmentsNotRecordedAlarm', {
    alarmDescription:
      'last-agent-lookup answered callers for a day and assignment-recorder recorded no assignment: contact events do not reach it (the rule, its instance or pattern) or it skips or fails every one; returning callers are not offered their last agent',
    metric: new cloudwatch.MathExpression({
      expression: 'IF(FILL(lookups, 0) > 0 AND FILL(recorded, 0) == 0, 1, 0)',
      usingMetrics: {
        lookups: metric('Lookups', { Function: 'last-agent-lookup' }, 'Sum', ONE_DAY),
        recorded: metric('Assignments', { Function: 'assignment-recorder', Outcome: 'recorded' }, 'Sum', ONE_DAY),
      },
      period: ONE_DAY,
      label: 'lookups with no assignment recorded (1 = yes)',
    }),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  });

  // The campaign alarms are created whether or not `dialerSchedule` is set: the dialer may be
  // invoked by hand or by another scheduler, and a failed or stalled run is the same customers
  // not called then. Without runs there are no datapoints, and the alarms stay OK.
  const dialer = { Function: 'campaign-dialer', Campaign: campaign };
  const runFailed = has('campaign-dialer') && alarm('CampaignRunFailedAlarm', {
    alarmDescription: `campaign-dialer: a run of campaign "${campaign}" ended in a function error (see its Stopped reason); the next run retries`,
    metric: metric('CampaignRunsFailed', dialer),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  });
  // Stalled: inside calling hours, not a holiday, rows due, and no call placed: rows still due
  // when the run stopped (nobody free, Connect refusing), or rows it took up while agents were
  // free and dialed none of (rows outside the customers' own hours, which move to their next
  // window, so a run that keeps reading them is stuck). One such run is often a moment without a
  // free agent, or the last rows moved on; every run of a quarter of an hour is not. One 15-minute
  // period of the Minimum (1 only if every run in it stalled) rather than 3 five-minute periods:
  // a schedule slower than every 5 minutes, or a run that ends in the next period, leaves some
  // five-minute periods without data and 3-of-3 would never fire; a lone run per quarter hour
  // (a slow schedule, a run by hand) that stalled is every run of it and does.
  const stalled = has('campaign-dialer') && alarm('CampaignStalledAlarm', {
    alarmDescription: `campaign-dialer: every run of campaign "${campaign}" in 15 minutes stalled (rows due inside calling hours, no call placed): no free agents, Connect refusing the calls, or due rows read while agents were free and none dialed (rows that do not move on)`,
    metric: metric('CampaignStalled', dialer, 'Minimum', Duration.minutes(15)),
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
  });

  // --- Dashboard ---

  /** The row's alarms, with the Lambda error and throttle alarms stack.ts made for its functions. */
  const status = (title: string, fns: string[], own: (cloudwatch.Alarm | false)[]) => {
    const lambdaAlarms = fns.filter(has).flatMap((fn) =>
      ['Errors', 'Throttles']
        .map((what) => stack.node.tryFindChild(`${pascal(fn)}${what}Alarm`))
        .filter((c): c is cloudwatch.Alarm => c instanceof cloudwatch.Alarm),
    );
    const alarms = [...own.filter((a): a is cloudwatch.Alarm => a !== false), ...lambdaAlarms];
    return new cloudwatch.AlarmStatusWidget({ title: `${title}: alarms`, width: 24, height: 3, alarms });
  };
  const [holidays, routing, dialing] = ROWS;

  const holidayRow = [
    ...(has('holiday-check')
      ? [
          graph(
            'holiday-check answers',
            4,
            HOLIDAY_OUTCOMES.map((o) => metric('HolidayAnswers', { Function: 'holiday-check', Outcome: o }, 'Sum', FIVE_MINUTES, o)),
            { stacked: true },
          ),
        ]
      : []),
    graph(
      'Holiday list age (hours)',
      4,
      sites.flatMap((site) => [
        metric('HolidayListAgeHours', { Function: 'holiday-check', Site: site }, 'Maximum', ONE_HOUR, `${site} (answered)`),
        metric('HolidayListAgeHours', { Function: 'holiday-fetcher', Site: site }, 'Maximum', ONE_HOUR, `${site} (stored)`),
      ]),
      {
        leftAnnotations: [
          { value: maxAgeHours, label: `max age (${settings.maxHolidayListAgeDays} days)`, color: cloudwatch.Color.RED },
        ],
        leftYAxis: { min: 0 },
      },
    ),
    graph('Holiday lists published', 4, [
      metric('HolidayListPublished', { Function: 'holiday-fetcher' }, 'Sum', ONE_HOUR, 'published'),
    ]),
    graph(
      'Holiday refusals (old list kept)',
      4,
      HOLIDAY_REFUSALS.map((t) => metric('HolidayRefusals', { Function: 'holiday-fetcher', ErrorType: t }, 'Sum', ONE_HOUR, t)),
      { stacked: true },
    ),
    graph(
      'Hours-of-operation overrides',
      4,
      OVERRIDE_CHANGES.map((c) => metric('OverrideChanges', { Function: 'holiday-fetcher', Change: c }, 'Sum', ONE_HOUR, c)),
      { right: [metric('OverrideSyncFailures', { Function: 'holiday-fetcher' }, 'Sum', ONE_HOUR, 'sync failures')] },
    ),
    graph(
      'Campaign restricted periods',
      4,
      PERIOD_CHANGES.map((c) => metric('RestrictedPeriodChanges', { Function: 'holiday-fetcher', Change: c }, 'Sum', ONE_HOUR, c)),
      { right: [metric('RestrictedPeriodSyncFailures', { Function: 'holiday-fetcher' }, 'Sum', ONE_HOUR, 'sync failures')] },
    ),
    ...(has('holiday-check') ? [graph('holiday-check answer latency (ms)', 4, latency(['holiday-check']))] : []),
  ];

  const routingRow = [
    graph(
      'last-agent-lookup answers',
      4,
      LOOKUP_OUTCOMES.map((o) => metric('Lookups', { Function: 'last-agent-lookup', Outcome: o }, 'Sum', FIVE_MINUTES, o)),
      { stacked: true },
    ),
    ...(has('agent-picker')
      ? [
          graph(
            'agent-picker answers',
            4,
            PICK_OUTCOMES.map((o) => metric('Picks', { Function: 'agent-picker', Outcome: o }, 'Sum', FIVE_MINUTES, o)),
            { stacked: true },
          ),
        ]
      : []),
    graph(
      'Assignments recorded',
      4,
      ASSIGNMENT_OUTCOMES.map((o) => metric('Assignments', { Function: 'assignment-recorder', Outcome: o }, 'Sum', FIVE_MINUTES, o)),
      { stacked: true },
    ),
    graph(
      'Connect API requests',
      4,
      ['last-agent-lookup', 'agent-picker'].filter(has).map((fn) => metric('ConnectRequests', { Function: fn }, 'Sum', FIVE_MINUTES, `${fn} (sum)`)),
      {
        right: ['last-agent-lookup', 'agent-picker'].filter(has).map((fn) =>
          metric('ConnectRequests', { Function: fn }, 'Maximum', FIVE_MINUTES, `${fn} (most in one answer)`),
        ),
      },
    ),
    graph('Routing answer latency (ms)', 4, latency(['last-agent-lookup', 'agent-picker'].filter(has))),
    ...(recorderDeadLetters
      ? [
          graph('Contact events dead-lettered', 4, [
            recorderDeadLetters.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, label: 'in the dead-letter queue' }),
          ]),
        ]
      : []),
  ];

  const campaignRow = [
    graph(
      `Dialing (${campaign})`,
      6,
      DIAL_COUNTERS.map((name) => metric(name, dialer, 'Sum', FIVE_MINUTES, name)),
    ),
    graph(`Rows pending (${campaign})`, 3, [metric('RowsPending', dialer, 'Maximum', FIVE_MINUTES, 'rows still to call')], {
      leftYAxis: { min: 0 },
    }),
    graph(
      `Customer choices (${campaign})`,
      5,
      CAMPAIGN_CHOICES.map((c) =>
        metric('CampaignAnswers', { Function: 'ivr-choice-recorder', Campaign: campaign, Outcome: c }, 'Sum', FIVE_MINUTES, c),
      ),
      { stacked: true, right: [metric('ChoicesNotRecorded', { Function: 'ivr-choice-recorder' }, 'Sum', FIVE_MINUTES, 'not recorded')] },
    ),
    // Why the runs stopped: `nothing_due`, `max_calls`, ... or a failed run's errorType, an open
    // list, so a search rather than one metric per value.
    graph(`Dialer runs by why they stopped (${campaign})`, 4, [
      new cloudwatch.SearchExpression({
        expression: `SEARCH('{${NAMESPACE},Function,Campaign,Stopped} MetricName="CampaignRuns" Function="campaign-dialer" Campaign="${campaign}"', 'Sum', 300)`,
        period: FIVE_MINUTES,
      }),
    ], { stacked: true }),
    graph(`Failed and stalled runs (${campaign})`, 3, [
      metric('CampaignRunsFailed', dialer, 'Sum', FIVE_MINUTES, 'failed'),
      metric('CampaignStalled', dialer, 'Sum', FIVE_MINUTES, 'stalled'),
    ]),
    graph('ivr-choice-recorder latency (ms)', 3, latency(['ivr-choice-recorder'])),
  ];

  // Dashboard names are the account's, not the Region's: the Region keeps two deployments of
  // the stack apart (the stack's Region, or AWS::Region when the stack is environment-agnostic).
  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: `${stack.stackName}-${stack.region}`,
    defaultInterval: Duration.days(1),
    widgets: [
      ...(has('holiday-fetcher') ? [[status(holidays.title, holidays.functions, [holidayListAge, holidayErrors])], holidayRow] : []),
      ...(has('last-agent-lookup')
        ? [[status(routing.title, routing.functions, [lookupErrors, pickErrors, deadLetters, notRecorded])], routingRow]
        : []),
      ...(has('campaign-dialer') ? [[status(dialing.title, dialing.functions, [runFailed, stalled])], campaignRow] : []),
    ],
  });

  // --- Saved Logs Insights queries ---
  // The lines are JSON: the tracing lines (`level`, `message`, `contact_id`, ...) and one EMF
  // line per invocation whose metric values and dimensions are top-level fields (`Function`,
  // `Outcome`, `CallsPlaced`, ..., and `contactId`). A saved query keeps no time range: pick it
  // in the console when running one.
  const everyLogGroup = Object.values(functions).map((fn) => fn.logGroup);
  const queries: Record<string, logs.QueryDefinition> = {};
  const query = (id: string, name: string, logGroups: logs.ILogGroup[], queryString: logs.QueryStringProps) => {
    queries[id] = new logs.QueryDefinition(scope, id, {
      queryDefinitionName: `${stack.stackName}/${name}`,
      queryString: new logs.QueryString(queryString),
      logGroups,
    });
  };
  // One contact through every function, in order: replace the placeholder with the contact id.
  query('ContactPathQuery', `contact path (replace ${CONTACT_ID_PLACEHOLDER})`, everyLogGroup, {
    fields: ['@timestamp', '@log', 'level', 'message', 'Function', 'Outcome', 'Reason', 'errorType'],
    filterStatements: [`contact_id = "${CONTACT_ID_PLACEHOLDER}" or contactId = "${CONTACT_ID_PLACEHOLDER}"`],
    sort: '@timestamp asc',
    limit: 1000,
  });
  // What went wrong (run over the last 24 hours): error lines, and the EMF lines of an error
  // answer, a failed recording, a refused list, a failed dialer run (its `Stopped` is the
  // errorType), refused numbers, lost choices and failed override syncs.
  query('RefusalsQuery', 'refusals (run over the last 24 hours)', everyLogGroup, {
    fields: [
      '@timestamp', '@log', 'level', 'message', 'Function', 'Outcome', 'Reason', 'ErrorType', 'Stopped', 'errorType', 'contact_id', 'contactId',
    ],
    filterStatements: [
      [
        'level = "ERROR"',
        'Outcome = "error"',
        'Outcome = "failed"',
        'ispresent(ErrorType)',
        'CampaignRunsFailed > 0',
        'CallsRefused > 0',
        'ChoicesNotRecorded > 0',
        'OverrideSyncFailures > 0',
        'RestrictedPeriodSyncFailures > 0',
      ].join(' or '),
    ],
    sort: '@timestamp desc',
    limit: 1000,
  });
  if (!has('campaign-dialer')) return { dashboard, alarms, queries };
  query('DialOutcomesQuery', `dial outcomes by hour (${campaign})`, [functions['campaign-dialer'].logGroup], {
    filterStatements: [`Function = "campaign-dialer" and Campaign = "${campaign}" and ispresent(CallsPlaced)`],
    statsStatements: [
      'sum(CallsPlaced) as placed, sum(CallsNoAnswer) as noAnswer, sum(CallsRefused) as refused, sum(RetriesScheduled) as retries by bin(1h) as hour',
    ],
    sort: 'hour desc',
  });
  query('ChoicesQuery', `customer choices by hour (${campaign})`, [functions['ivr-choice-recorder'].logGroup], {
    filterStatements: [`Function = "ivr-choice-recorder" and Campaign = "${campaign}" and ispresent(Outcome)`],
    statsStatements: ['count(*) as choices by Outcome, bin(1h) as hour'],
    sort: 'hour desc',
  });

  return { dashboard, alarms, queries };
}
