// The whole suite next to an existing Amazon Connect instance: storage, the seven functions
// with least-privilege roles, schedules, the contact-event rule, the instance association,
// alarms and the flows: inbound (inbound.json, or inbound-direct.json with its customer-queue
// flow when routing=direct) and the outbound campaign flow.


import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, StackProps, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as connect from 'aws-cdk-lib/aws-connect';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

import { FUNCTIONS, FunctionSpec, arnPlaceholder, pascal } from './functions';
import { flowsFor, readLanguage } from './flow-variants';
import { addObservability } from './observability';
import { Settings, SettingsError, linkedHoursOfOperationIds, managedHoursOfOperationIds } from './settings';

/** The stored holiday list: one object, read by holiday-check and campaign-dialer, written by holiday-fetcher. */
export const HOLIDAY_KEY = 'holidays.json';

/**
 * The customers table's sparse index of rows still to call: partition key `toCall` (the
 * campaign), sort key `toCallAt` (RFC 3339 UTC, when the row may next be dialed). Only rows
 * still to call carry these attributes, so the dialer's Query reads nothing else.
 */
export const TO_CALL_INDEX = 'to-call';

/**
 * Lambda's limit on all environment variables of a function together: 4 KB, measured as the
 * variables in one compact JSON object (the "String measured" of its refusal).
 */
export const ENVIRONMENT_LIMIT_BYTES = 4096;

/**
 * The size Lambda gives `environment`: the compact JSON object, characters outside ASCII counted
 * as the `\uXXXX` escapes a JSON encoder may write (the larger of the two counts). A value
 * not known before deployment (a CloudFormation reference) counts at `unresolved[name]`, its
 * longest possible length.
 */
export function environmentSize(environment: Record<string, string>, unresolved: Record<string, number>): number {
  const known: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (!Token.isUnresolved(value)) {
      known[name] = value;
    } else if (name in unresolved) {
      known[name] = 'x'.repeat(unresolved[name]);
    } else {
      throw new Error(`${name}: a value known only at deployment, with no longest length to count it at`);
    }
  }
  return JSON.stringify(known).replace(/[^\x00-\x7f]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')).length;
}

export interface ConnectLambdasProps extends StackProps {
  settings: Settings;
  /** The deployment package of a function (`target/lambda/<name>` in a real deploy). */
  code: (functionName: string) => lambda.Code;
  /** Where the flow files (`inbound.json`, `inbound-direct.json`, ...) are. */
  flowsDir: string;
}

/**
 * The contact-event rule's `detail`: voice contacts of this instance, on the event that records.
 * The documentation's sample events spell the fields three ways (`instanceArn`, `instanceARN`,
 * and PascalCase `InstanceARN`/`EventType`/`Channel`) and the channel `VOICE` or `Voice`
 * (Administrator Guide, "Amazon Connect contact events", and its earlier versions); an
 * EventBridge pattern matches names exactly, so each spelling is one `$or` branch and the
 * channel is matched ignoring case. infra/test/stack.test.ts runs the documented samples
 * through EventBridge's matching rules.
 */
export function contactEventDetail(instanceArn: string, minConnectedSeconds: number): Record<string, unknown> {
  // With a minimum, only the disconnect tells how long the agent was on the call.
  const eventType = [minConnectedSeconds > 0 ? 'DISCONNECTED' : 'CONNECTED_TO_AGENT'];
  // Only a call has a caller number to remember.
  const voice = [{ 'equals-ignore-case': 'VOICE' }];
  return {
    $or: [
      { eventType, channel: voice, instanceArn: [instanceArn] },
      { eventType, channel: voice, instanceARN: [instanceArn] },
      { EventType: eventType, Channel: voice, InstanceARN: [instanceArn] },
    ],
  };
}

/**
 * Whether a stack with these settings deploys the function `name`: those of the features turned
 * on; holiday-fetcher (the holiday list) also for the campaign, whose dialer never calls on a
 * holiday; agent-picker only for the direct routing, the one flow that calls it.
 */
export function deploys(name: string, settings: Settings): boolean {
  const { holidays, returningCallers, campaign } = settings.features;
  switch (name) {
    case 'holiday-fetcher':
      return holidays || campaign;
    case 'holiday-check':
      return holidays;
    case 'last-agent-lookup':
    case 'assignment-recorder':
      return returningCallers;
    case 'agent-picker':
      return returningCallers && settings.routing === 'direct';
    case 'ivr-choice-recorder':
    case 'campaign-dialer':
      return campaign;
    default:
      return false;
  }
}

export class ConnectLambdasStack extends Stack {
  readonly functions: Record<string, lambda.Function> = {};

  constructor(scope: Construct, id: string, props: ConnectLambdasProps) {
    super(scope, id, props);
    const { settings } = props;
    const instanceArn = settings.connectInstanceArn;
    // Connect resources of this instance only: the instance itself and what is inside it.
    const inInstance = [instanceArn, `${instanceArn}/*`];
    // Its contacts only: what assignment-recorder looks up the caller of, and the dialer its calls.
    const contactsInInstance = `${instanceArn}/contact/*`;

    // Who read or wrote the holiday list, and when (server access logs, kept 90 days): the
    // list decides whether callers are turned away, so a change to it must be traceable.
    const features = settings.features;
    const language = readLanguage(props.flowsDir, settings.language);
    // The functions this stack deploys: those of the features turned on (lib/settings.ts, Features).
    const deployed = new Set(FUNCTIONS.filter((spec) => deploys(spec.name, settings)).map((spec) => spec.name));
    const has = (name: string) => deployed.has(name);
    const holidayList = has('holiday-fetcher') ? this.holidayBucket() : undefined;
    const holidayObject = holidayList?.arnForObjects(HOLIDAY_KEY) ?? '';
    const bucket = holidayList as s3.Bucket;

    const tableProps = {
      partitionKey: { name: 'phoneNumber', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    };
    const assignments = features.returningCallers
      ? new dynamodb.Table(this, 'AssignmentsTable', { ...tableProps, timeToLiveAttribute: 'expiresAt' })
      : (undefined as unknown as dynamodb.Table);
    let customers = undefined as unknown as dynamodb.Table;
    let doNotCall = undefined as unknown as dynamodb.Table;
    if (features.campaign) {
      customers = new dynamodb.Table(this, 'CustomersTable', tableProps);
      customers.addGlobalSecondaryIndex({
        indexName: TO_CALL_INDEX,
        partitionKey: { name: 'toCall', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'toCallAt', type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
      // The numbers that pressed 9 (one item each, the first opt-out kept). Apart from the
      // customers table, whose rows a list reload replaces whole, and kept like it on stack
      // deletion: customers' opt-outs must survive a redeploy.
      doNotCall = new dynamodb.Table(this, 'DoNotCallTable', tableProps);
    }

    const alerts = new sns.Topic(this, 'AlertTopic', { displayName: 'connect-lambdas alerts' });
    alerts.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'TlsOnly',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['sns:Publish'],
        resources: [alerts.topicArn],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    if (settings.alertEmail) {
      alerts.addSubscription(new subscriptions.EmailSubscription(settings.alertEmail));
    }

    // Contact events assignment-recorder could not record, kept for a replay (the body is the
    // event) and alarmed on. Two ways in: EventBridge could not invoke the function (throttled
    // or gone past its retry policy), or the function failed: EventBridge invokes
    // asynchronously, so a function error is Lambda's to retry (twice) and then to dead-letter,
    // and never reaches the rule's own dead-letter queue.
    const recorderDeadLetters = has('assignment-recorder')
      ? new sqs.Queue(this, 'AssignmentRecorderDeadLetterQueue', {
          encryption: sqs.QueueEncryption.SQS_MANAGED,
          enforceSSL: true,
          retentionPeriod: Duration.days(14),
        })
      : undefined;

    // What each function may do, exactly. DescribeTable lets the contact-flow functions open
    // their DynamoDB connection during init (and check the table) instead of on a caller's time.
    const readHolidayList = () => [
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [holidayObject] }),
      // Without ListBucket a missing object reads as 403 rather than 404 (NoSuchKey).
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringEquals: { 's3:prefix': HOLIDAY_KEY } },
      }),
    ];
    const alert = new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [alerts.topicArn] });
    // The routing functions' Connect reads: the agents, their state, and which agents' routing
    // profiles serve the queue (an agent preferred by routing criteria must serve it).
    const readAgents = new iam.PolicyStatement({
      actions: ['connect:ListUsers', 'connect:GetCurrentUserData', 'connect:ListRoutingProfileQueues'],
      resources: inInstance,
    });
    // The dialer's Connect calls, as narrow as IAM allows (infra/flows/README.md, "IAM for
    // campaign-dialer"): StartOutboundVoiceContact supports no resource type and no condition
    // key of its own, so its Resource must be "*" (limited to the instance's Region);
    // DescribeContact takes this instance's contacts, GetCurrentMetricData the campaign queue.
    const instanceRegion = instanceArn.split(':')[3];
    // The hours of operation holiday-fetcher keeps overrides on: a site's holiday hours of
    // operation, or without one its hours of operation (`holidayHoursOfOperationId` and
    // `hoursOfOperationIds`, or every site's in `sites`). The override actions take both the
    // `hours-of-operation` and the `instance` resource type, both required
    // (docs/hours-of-operation-overrides.md, section 6 "IAM" and "What this means for the suite",
    // item 4, from the Service Authorization Reference): so exactly those hours of operation, and
    // the instance itself. None listed, no override permission at all.
    const managedHours = managedHoursOfOperationIds(settings);
    // With a holiday hours of operation and children, holiday-fetcher lists the parent's children
    // and links those not yet linked. The reference data has no entry for ListChildHoursOfOperations
    // or AssociateHoursOfOperations (docs/hours-of-operation-overrides.md, section 6 "IAM": "not
    // listed", their resource-level scoping unknown), so they are scoped like the override
    // actions: the instance, the parents and their children, nothing else.
    const linkedHours = linkedHoursOfOperationIds(settings);
    const hoursArn = (id: string) => `${instanceArn}/operating-hours/${id}`;
    // An Outbound Campaigns v2 campaign (Service Authorization Reference, "Actions, resources, and
    // condition keys for Amazon Connect Outbound Campaigns": resource type `campaign`). The
    // settings take a campaign's ID or its ARN (the model's `CampaignId` allows both); an ARN is
    // the resource as given.
    const campaignArn = (id: string) =>
      id.startsWith('arn:') ? id : `arn:${Stack.of(this).partition}:connect-campaigns:${settings.region}:${settings.account}:campaign/${id}`;
    // The campaigns whose restricted periods holiday-fetcher keeps in step: the single site's, or every site's.
    const periodCampaigns = settings.sites ? [...new Set(settings.sites.sites.flatMap((site) => site.outboundCampaignIds))] : settings.outboundCampaignIds;
    // Thunks: a function's grants name resources that exist only with its feature.
    const permissions: Record<string, () => iam.PolicyStatement[]> = {
      'holiday-fetcher': () => [
        ...readHolidayList(),
        new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [holidayObject] }),
        alert,
        ...(managedHours.length
          ? [
              new iam.PolicyStatement({
                actions: [
                  'connect:ListHoursOfOperationOverrides',
                  'connect:CreateHoursOfOperationOverride',
                  'connect:DeleteHoursOfOperationOverride',
                ],
                resources: [instanceArn, ...managedHours.map(hoursArn)],
              }),
            ]
          : []),
        ...(linkedHours.length
          ? [
              new iam.PolicyStatement({
                actions: ['connect:ListChildHoursOfOperations', 'connect:AssociateHoursOfOperations'],
                resources: [instanceArn, ...linkedHours.map(hoursArn)],
              }),
            ]
          : []),
        // A campaign's restricted periods: read, then written back with the rest of its calling times.
        ...(periodCampaigns.length
          ? [
              new iam.PolicyStatement({
                actions: ['connect-campaigns:DescribeCampaign', 'connect-campaigns:UpdateCampaignCommunicationTime'],
                resources: periodCampaigns.map(campaignArn),
              }),
            ]
          : []),
      ],
      'holiday-check': () => [...readHolidayList(), alert],
      'last-agent-lookup': () => [
        new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:DescribeTable'], resources: [assignments.tableArn] }),
        readAgents,
      ],
      'agent-picker': () => [readAgents],
      'assignment-recorder': () => [
        new iam.PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:DescribeTable'], resources: [assignments.tableArn] }),
        // The caller's number of a contact event's contact (events carry none).
        new iam.PolicyStatement({ actions: ['connect:DescribeContact'], resources: [contactsInInstance] }),
      ],
      'ivr-choice-recorder': () => [
        new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem', 'dynamodb:DescribeTable'], resources: [customers.tableArn] }),
        // A 9 adds the number, conditionally (attribute_not_exists): written, never read or deleted.
        new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [doNotCall.tableArn] }),
      ],
      'campaign-dialer': () => [
        // Rows to call come from the sparse index only: no Scan of the table.
        new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${customers.tableArn}/index/${TO_CALL_INDEX}`] }),
        new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [customers.tableArn] }),
        // A consistent read of the do-not-call list before each call: read, never written.
        new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [doNotCall.tableArn] }),
        // No call on a public holiday: the list holiday-check reads.
        new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [holidayObject] }),
        ...(settings.dialerEngine === 'campaigns-v2'
          ? // The campaign dials: the dialer hands it the due rows, and places no call itself.
            [new iam.PolicyStatement({ actions: ['connect-campaigns:PutOutboundRequestBatch'], resources: [campaignArn(settings.outboundCampaignId!)] })]
          : [
              new iam.PolicyStatement({
                actions: ['connect:StartOutboundVoiceContact'],
                resources: ['*'],
                conditions: { StringEquals: { 'aws:RequestedRegion': instanceRegion } },
              }),
            ]),
        new iam.PolicyStatement({ actions: ['connect:DescribeContact'], resources: [contactsInInstance] }),
        new iam.PolicyStatement({ actions: ['connect:GetCurrentMetricData'], resources: [settings.queueArn] }),
      ],
    };

    const environment: Record<string, () => Record<string, string>> = {
      'holiday-fetcher': () => ({
        HOLIDAY_BUCKET: bucket.bucketName,
        HOLIDAY_KEY,
        ALERT_TOPIC_ARN: alerts.topicArn,
        // The default zone of sites without one.
        TIME_ZONE: settings.timeZone,
        // SITES replaces the single-site variables: the function refuses both at init.
        ...(settings.sites
          ? { SITES: settings.sites.json }
          : {
              ...(settings.calendarUrls.length ? { CALENDAR_URLS: settings.calendarUrls.join(',') } : {}),
              ...(settings.closedDates ? { CLOSED_DATES: settings.closedDates } : {}),
              ...(settings.hoursOfOperationIds.length
                ? { HOURS_OF_OPERATION_IDS: settings.hoursOfOperationIds.join(',') }
                : {}),
              ...(settings.holidayHoursOfOperationId
                ? { HOLIDAY_HOURS_OF_OPERATION_ID: settings.holidayHoursOfOperationId }
                : {}),
              ...(settings.outboundCampaignIds.length ? { OUTBOUND_CAMPAIGN_IDS: settings.outboundCampaignIds.join(',') } : {}),
            }),
        // The override sync's settings, read whenever a site names hours of operation or a
        // holiday hours of operation (a holiday hours of operation alone is an override holder too).
        ...(managedHours.length ? { CONNECT_INSTANCE_ID: instanceArn } : {}),
        // How far ahead overrides and campaigns' restricted periods reach: read by either sync.
        ...((managedHours.length || periodCampaigns.length) && settings.overrideHorizonDays
          ? { OVERRIDE_HORIZON_DAYS: String(settings.overrideHorizonDays) }
          : {}),
      }),
      'holiday-check': () => ({
        HOLIDAY_BUCKET: bucket.bucketName,
        HOLIDAY_KEY,
        ALERT_TOPIC_ARN: alerts.topicArn,
        TIME_ZONE: settings.timeZone,
        // The site a flow asks about when it passes no `site` parameter.
        SITE: settings.site,
      }),
      'last-agent-lookup': () => ({
        CONNECT_INSTANCE_ID: instanceArn,
        ASSIGNMENTS_TABLE: assignments.tableName,
        // The queue routing criteria prefer the last agent in: preferAgent only for agents serving it.
        QUEUE_ID: settings.queueArn,
        ...(settings.preferAgentStatuses.length > 0 ? { PREFER_AGENT_STATUSES: settings.preferAgentStatuses.join(',') } : {}),
        ...(settings.preferOnError ? { PREFER_ON_ERROR: 'true' } : {}),
      }),
      // Only agents whose routing profiles serve the flow's standard queue: without a scope the
      // picker would ask Connect about every user of the instance on every call.
      'agent-picker': () => ({ CONNECT_INSTANCE_ID: instanceArn, QUEUE_IDS: settings.queueArn }),
      // Always both: the rule below and the function must agree on which event records a call.
      'assignment-recorder': () => ({
        ASSIGNMENTS_TABLE: assignments.tableName,
        MIN_CONNECTED_SECONDS: String(settings.minConnectedSeconds),
        RECORD_INITIATION_METHODS: settings.recordInitiationMethods.join(','),
      }),
      'ivr-choice-recorder': () => ({
        CUSTOMERS_TABLE: customers.tableName,
        CAMPAIGN: settings.campaign,
        DO_NOT_CALL_TABLE: doNotCall.tableName,
        // A no input or a failed transfer is due again after the dialer's wait.
        RETRY_AFTER_MINUTES: String(settings.retryAfterMinutes),
        // What the customer hears in the deployment's language (none: the function's own, Japanese).
        ...(language.choiceMessages ? { CHOICE_MESSAGES: JSON.stringify(language.choiceMessages) } : {}),
      }),
      // CONTACT_FLOW_ID is added below, once the outbound flow exists.
      'campaign-dialer': () => ({
        CUSTOMERS_TABLE: customers.tableName,
        CAMPAIGN: settings.campaign,
        CONNECT_INSTANCE_ID: instanceArn,
        QUEUE_ID: settings.queueArn,
        ...(settings.campaignSourceNumber ? { SOURCE_PHONE_NUMBER: settings.campaignSourceNumber } : {}),
        TO_CALL_INDEX,
        // Numbers that pressed 9 are never dialed, whatever a reload did to their rows.
        DO_NOT_CALL_TABLE: doNotCall.tableName,
        // The same list and time zone as holiday-check: no call on a holiday or outside the hours.
        HOLIDAY_BUCKET: bucket.bucketName,
        HOLIDAY_KEY,
        TIME_ZONE: settings.timeZone,
        // The site whose holidays and early closes stop calls.
        SITE: settings.site,
        CALLING_HOURS: settings.callingHours,
        RETRY_AFTER_MINUTES: String(settings.retryAfterMinutes),
        MAX_ATTEMPTS: String(settings.maxAttempts),
        ...(settings.dialerEngine === 'campaigns-v2' ? { ENGINE: 'campaigns-v2', OUTBOUND_CAMPAIGN_ID: settings.outboundCampaignId! } : {}),
      }),
    };

    // The settings that grow holiday-fetcher's environment must leave it within Lambda's 4 KB:
    // Lambda refuses a function over it, and CloudFormation rolls the deploy back. Its bucket name is at most 63 characters (S3's limit) and
    // the topic's generated name at most 256 (SNS's).
    const [partition, , , account] = instanceArn.split(':').slice(1);
    const fetcherSize = has('holiday-fetcher')
      ? environmentSize(environment['holiday-fetcher'](), {
          HOLIDAY_BUCKET: 63,
          ALERT_TOPIC_ARN: `arn:${partition}:sns:${instanceRegion}:${account}:`.length + 256,
        })
      : 0;
    if (fetcherSize > ENVIRONMENT_LIMIT_BYTES) {
      const what = settings.sites
        ? `sites (SITES alone is ${environmentSize({ SITES: settings.sites.json }, {}) - '{"SITES":""}'.length} bytes as Lambda counts it)`
        : 'calendarUrls, closedDates, hoursOfOperationIds, holidayHoursOfOperationId and outboundCampaignIds';
      throw new SettingsError(
        `setting ${what}: holiday-fetcher's environment would take up to ${fetcherSize} bytes, over Lambda's limit of 4 KB (${ENVIRONMENT_LIMIT_BYTES} bytes) for all environment variables of a function together, and the deploy would fail; shorten the list (fewer or shorter calendar URLs, closures, names)`,
      );
    }

    // Where a function's failed asynchronous invocations go (only EventBridge invokes it so).
    const deadLetters: Record<string, sqs.IQueue | undefined> = { 'assignment-recorder': recorderDeadLetters };

    // The flows this stack deploys (lib/flow-variants.ts: the files, without the steps of the
    // features that are off), and the functions they invoke: only those are associated with the
    // instance and invocable by Connect (a function no flow calls, such as assignment-recorder
    // fed by contact events, gets neither).
    const flows = flowsFor(settings, props.flowsDir);
    const flowTexts = flows.map((f) => JSON.stringify(f.flow, null, 2));
    const invokedByFlows = (name: string) => flowTexts.some((text) => text.includes(`\${${arnPlaceholder(name)}}`));

    const associations: connect.CfnIntegrationAssociation[] = [];
    for (const spec of FUNCTIONS.filter((f) => has(f.name))) {
      const reserved = spec.singleRun && settings.reserveDialerConcurrency ? 1 : undefined;
      const fn = this.suiteFunction(
        spec,
        props.code(spec.name),
        environment[spec.name](),
        permissions[spec.name](),
        reserved,
        deadLetters[spec.name],
      );
      this.functions[spec.name] = fn;
      this.alarms(spec, fn, alerts);
      if (spec.contactFlow && invokedByFlows(spec.name)) {
        fn.addPermission('ConnectInvoke', {
          principal: new iam.ServicePrincipal('connect.amazonaws.com'),
          sourceArn: instanceArn,
          sourceAccount: this.account,
        });
        associations.push(
          new connect.CfnIntegrationAssociation(this, `${pascal(spec.name)}Association`, {
            instanceId: instanceArn,
            integrationType: 'LAMBDA_FUNCTION',
            integrationArn: fn.functionArn,
          }),
        );
      }
    }

    this.acknowledgeWildcards(instanceArn);

    if (has('holiday-fetcher')) {
      new events.Rule(this, 'HolidayFetcherSchedule', {
        description: 'Refresh the holiday list',
        schedule: events.Schedule.expression(settings.holidaySchedule),
        targets: [new targets.LambdaFunction(this.functions['holiday-fetcher'], { retryAttempts: 2 })],
      });
    }
    if (has('campaign-dialer')) {
      // A failed or throttled dialer run is never retried by Lambda, and an invocation that waited
      // more than two minutes in Lambda's queue is dropped: a late run could call outside calling
      // hours. The next schedule tick is the retry.
      this.functions['campaign-dialer'].configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(2) });
    }
    if (has('campaign-dialer') && settings.dialerSchedule) {
      new events.Rule(this, 'CampaignDialerSchedule', {
        description: 'Dial the campaign',
        schedule: events.Schedule.expression(settings.dialerSchedule),
        // A failed run is not retried: the next tick is the retry, and runs never overlap.
        targets: [new targets.LambdaFunction(this.functions['campaign-dialer'], { retryAttempts: 0 })],
      });
    }
    if (has('assignment-recorder')) {
      new events.Rule(this, 'AssignmentRecorderContactEvents', {
        description: 'Remember who answered a call of this instance',
        eventPattern: { source: ['aws.connect'], detailType: ['Amazon Connect Contact Event'], detail: contactEventDetail(instanceArn, settings.minConnectedSeconds) },
        targets: [
          new targets.LambdaFunction(this.functions['assignment-recorder'], {
            // For when EventBridge cannot hand the event to Lambda (throttling, an outage). A late
            // or repeated event is harmless: the newer connection wins and a repeat rewrites the
            // same assignment.
            retryAttempts: 8,
            maxEventAge: Duration.hours(2),
            deadLetterQueue: recorderDeadLetters!,
          }),
        ],
      });
    }
    // The dashboard, the alarms on the suite's metrics (and the dead-letter queue's), and the
    // saved Logs Insights queries (lib/observability.ts).
    addObservability(this, { functions: this.functions, alerts, recorderDeadLetters, settings });

    // What the flows' `${Name}` placeholders become (see infra/flows/README.md).
    const values: Record<string, string> = {
      QueueArn: settings.queueArn,
      PreferredAgentSeconds: String(settings.preferredAgentSeconds),
      AskReturningCaller: String(settings.askReturningCaller),
      AgentQueueSeconds: String(settings.agentQueueSeconds),
    };
    for (const name of Object.keys(this.functions)) values[arnPlaceholder(name)] = this.functions[name].functionArn;
    const created: Record<string, connect.CfnContactFlow> = {};
    flows.forEach((deployed, i) => {
      const content = flowTexts[i];
      // Only what the flow names: binding every ARN would make the dialer (whose environment
      // names the outbound flow) and that flow depend on each other.
      const variables: Record<string, string> = {};
      for (const [, placeholder] of content.matchAll(/\$\{([^}]*)\}/g)) {
        if (!(placeholder in values)) {
          throw new Error(`${deployed.file}: unknown placeholder \${${placeholder}}; known: ${Object.keys(values).join(', ')}`);
        }
        variables[placeholder] = values[placeholder];
      }
      const flow = new connect.CfnContactFlow(this, deployed.id, {
        instanceArn,
        name: deployed.name,
        description: deployed.description,
        type: deployed.kind,
        content: Fn.sub(content, variables),
      });
      // Connect refuses a flow that invokes a function not yet associated with the instance.
      for (const association of associations) flow.node.addDependency(association);
      created[deployed.id] = flow;
      new CfnOutput(this, `${deployed.id}Arn`, { value: flow.attrContactFlowArn });
      // The inbound flow hands callers to the customer-queue flow it names.
      if (deployed.id === 'CustomerQueueFlow') values.CustomerQueueFlowArn = flow.attrContactFlowArn;
    });
    if (created.OutboundCampaignFlow) {
      this.functions['campaign-dialer'].addEnvironment('CONTACT_FLOW_ID', created.OutboundCampaignFlow.attrContactFlowArn);
    }

    if (holidayList) new CfnOutput(this, 'HolidayBucketName', { value: holidayList.bucketName });
    if (features.returningCallers) new CfnOutput(this, 'AssignmentsTableName', { value: assignments.tableName });
    if (features.campaign) {
      new CfnOutput(this, 'CustomersTableName', { value: customers.tableName });
      new CfnOutput(this, 'DoNotCallTableName', { value: doNotCall.tableName });
    }
    new CfnOutput(this, 'AlertTopicArn', { value: alerts.topicArn });
    if (recorderDeadLetters) new CfnOutput(this, 'AssignmentRecorderDeadLetterQueueUrl', { value: recorderDeadLetters.queueUrl });
  }

  /**
   * The holiday list's bucket: private, encrypted, TLS-only, versioned (a bad list can be rolled
   * back), kept on stack deletion, with server access logs to a log bucket of its own (kept 90
   * days): the list decides whether callers are turned away, so who read or changed it, and
   * when, must be traceable.
   */
  private holidayBucket(): s3.Bucket {
    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The access-log bucket itself: logging it would log its own log deliveries, without end.',
    });
    return new s3.Bucket(this, 'HolidayBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'holiday-bucket/',
    });
  }

  /**
   * The wildcard resources cdk-nag's AwsSolutions-IAM5 finds in the functions' roles, each
   * acknowledged with why it cannot be narrower (the rest of every role names its resources).
   */
  private acknowledgeWildcards(instanceArn: string) {
    const acknowledge = (name: string, resource: string, reason: string) => {
      const role = this.functions[name]?.role;
      if (role) Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
    };
    const agents =
      "ListUsers, GetCurrentUserData and ListRoutingProfileQueues act on the instance's users, routing profiles and queues, which change without a deployment: every resource inside this one instance, no other instance.";
    acknowledge('last-agent-lookup', `${instanceArn}/*`, agents);
    acknowledge('agent-picker', `${instanceArn}/*`, agents);
    const contacts =
      "DescribeContact's resource is a contact, whose ID exists only once the call does: every contact of this one instance.";
    acknowledge('assignment-recorder', `${instanceArn}/contact/*`, contacts);
    acknowledge('campaign-dialer', `${instanceArn}/contact/*`, contacts);
    acknowledge(
      'campaign-dialer',
      '*',
      "StartOutboundVoiceContact supports no resource type and no Connect condition key (Service Authorization Reference; infra/flows/README.md, 'IAM for campaign-dialer'): '*' is the only grant that works, limited by aws:RequestedRegion to the instance's Region.",
    );
  }

  /**
   * A function with its own role (its log group, `permissions` and sending to its
   * `deadLetterQueue`, nothing else).
   */
  private suiteFunction(
    spec: FunctionSpec,
    code: lambda.Code,
    environment: Record<string, string>,
    permissions: iam.PolicyStatement[],
    reservedConcurrentExecutions: number | undefined,
    deadLetterQueue: sqs.IQueue | undefined,
  ): lambda.Function {
    const id = pascal(spec.name);
    const logGroup = new logs.LogGroup(this, `${id}Logs`, {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${spec.name}: its log group and exactly what it calls`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    for (const statement of permissions) role.addToPolicy(statement);
    return new lambda.Function(this, id, {
      description: spec.description,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      handler: 'bootstrap',
      code,
      memorySize: spec.memoryMb,
      timeout: spec.timeout,
      role,
      logGroup,
      // JSON keeps the EMF metrics on provided.al2023: Lambda does not re-encode a line that is
      // already JSON (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-logformat.html),
      // so CloudWatch Logs still reads each EMF line. The application log level then filters
      // lines by their "level" key, and a line without one (every EMF line) counts as INFO
      // (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html):
      // a level above INFO would drop the metrics.
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      environment,
      reservedConcurrentExecutions,
      deadLetterQueue,
    });
  }

  /** Any error or throttle in five minutes tells the people on the alert topic. */
  private alarms(spec: FunctionSpec, fn: lambda.Function, alerts: sns.ITopic) {
    const id = pascal(spec.name);
    const metrics: [string, cloudwatch.IMetric][] = [
      ['Errors', fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' })],
      ['Throttles', fn.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' })],
    ];
    for (const [what, metric] of metrics) {
      const alarm = new cloudwatch.Alarm(this, `${id}${what}Alarm`, {
        alarmDescription: `${spec.name}: ${what.toLowerCase()}`,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(new cloudwatchActions.SnsAction(alerts));
    }
  }
}
