// The whole suite next to an existing Amazon Connect instance: storage, the seven functions
// with least-privilege roles, schedules, the contact-event rule, the instance association,
// alarms and the flows: inbound (inbound.json, or inbound-direct.json with its customer-queue
// flow when routing=direct) and the outbound campaign flow.

import * as fs from 'node:fs';
import * as path from 'node:path';

import { CfnOutput, Duration, Fn, RemovalPolicy, Stack, StackProps, Token } from 'aws-cdk-lib';
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

    const bucket = new s3.Bucket(this, 'HolidayBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // A bad list can be rolled back to the previous version.
      versioned: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const holidayObject = bucket.arnForObjects(HOLIDAY_KEY);

    const tableProps = {
      partitionKey: { name: 'phoneNumber', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    };
    const assignments = new dynamodb.Table(this, 'AssignmentsTable', {
      ...tableProps,
      timeToLiveAttribute: 'expiresAt',
    });
    const customers = new dynamodb.Table(this, 'CustomersTable', tableProps);
    customers.addGlobalSecondaryIndex({
      indexName: TO_CALL_INDEX,
      partitionKey: { name: 'toCall', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'toCallAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    // The numbers that pressed 9 (one item each, the first opt-out kept). Apart from the
    // customers table, whose rows a list reload replaces whole, and kept like it on stack
    // deletion: customers' opt-outs must survive a redeploy.
    const doNotCall = new dynamodb.Table(this, 'DoNotCallTable', tableProps);

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
    const recorderDeadLetters = new sqs.Queue(this, 'AssignmentRecorderDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    // What each function may do, exactly. DescribeTable lets the contact-flow functions open
    // their DynamoDB connection during init (and check the table) instead of on a caller's time.
    const readHolidayList = [
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
    const permissions: Record<string, iam.PolicyStatement[]> = {
      'holiday-fetcher': [
        ...readHolidayList,
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
      ],
      'holiday-check': [...readHolidayList, alert],
      'last-agent-lookup': [
        new iam.PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:DescribeTable'], resources: [assignments.tableArn] }),
        readAgents,
      ],
      'agent-picker': [readAgents],
      'assignment-recorder': [
        new iam.PolicyStatement({ actions: ['dynamodb:PutItem', 'dynamodb:DescribeTable'], resources: [assignments.tableArn] }),
        // The caller's number of a contact event's contact (events carry none).
        new iam.PolicyStatement({ actions: ['connect:DescribeContact'], resources: [contactsInInstance] }),
      ],
      'ivr-choice-recorder': [
        new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem', 'dynamodb:DescribeTable'], resources: [customers.tableArn] }),
        // A 9 adds the number, conditionally (attribute_not_exists): written, never read or deleted.
        new iam.PolicyStatement({ actions: ['dynamodb:PutItem'], resources: [doNotCall.tableArn] }),
      ],
      'campaign-dialer': [
        // Rows to call come from the sparse index only: no Scan of the table.
        new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${customers.tableArn}/index/${TO_CALL_INDEX}`] }),
        new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [customers.tableArn] }),
        // A consistent read of the do-not-call list before each call: read, never written.
        new iam.PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [doNotCall.tableArn] }),
        // No call on a public holiday: the list holiday-check reads.
        new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [holidayObject] }),
        new iam.PolicyStatement({
          actions: ['connect:StartOutboundVoiceContact'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:RequestedRegion': instanceRegion } },
        }),
        new iam.PolicyStatement({ actions: ['connect:DescribeContact'], resources: [contactsInInstance] }),
        new iam.PolicyStatement({ actions: ['connect:GetCurrentMetricData'], resources: [settings.queueArn] }),
      ],
    };

    const environment: Record<string, Record<string, string>> = {
      'holiday-fetcher': {
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
            }),
        // The override sync's settings, read whenever a site names hours of operation or a
        // holiday hours of operation (a holiday hours of operation alone is an override holder too).
        ...(managedHours.length
          ? {
              CONNECT_INSTANCE_ID: instanceArn,
              ...(settings.overrideHorizonDays ? { OVERRIDE_HORIZON_DAYS: String(settings.overrideHorizonDays) } : {}),
            }
          : {}),
      },
      'holiday-check': {
        HOLIDAY_BUCKET: bucket.bucketName,
        HOLIDAY_KEY,
        ALERT_TOPIC_ARN: alerts.topicArn,
        TIME_ZONE: settings.timeZone,
        // The site a flow asks about when it passes no `site` parameter.
        SITE: settings.site,
      },
      'last-agent-lookup': {
        CONNECT_INSTANCE_ID: instanceArn,
        ASSIGNMENTS_TABLE: assignments.tableName,
        // The queue routing criteria prefer the last agent in: preferAgent only for agents serving it.
        QUEUE_ID: settings.queueArn,
      },
      'agent-picker': { CONNECT_INSTANCE_ID: instanceArn },
      // Always both: the rule below and the function must agree on which event records a call.
      'assignment-recorder': {
        ASSIGNMENTS_TABLE: assignments.tableName,
        MIN_CONNECTED_SECONDS: String(settings.minConnectedSeconds),
        RECORD_INITIATION_METHODS: settings.recordInitiationMethods.join(','),
      },
      'ivr-choice-recorder': {
        CUSTOMERS_TABLE: customers.tableName,
        CAMPAIGN: settings.campaign,
        DO_NOT_CALL_TABLE: doNotCall.tableName,
        // A no input or a failed transfer is due again after the dialer's wait.
        RETRY_AFTER_MINUTES: String(settings.retryAfterMinutes),
      },
      // CONTACT_FLOW_ID is added below, once the outbound flow exists.
      'campaign-dialer': {
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
      },
    };

    // The settings that grow holiday-fetcher's environment must leave it within Lambda's 4 KB:
    // Lambda refuses a function over it, and CloudFormation rolls the deploy back. Its bucket name is at most 63 characters (S3's limit) and
    // the topic's generated name at most 256 (SNS's).
    const [partition, , , account] = instanceArn.split(':').slice(1);
    const fetcherSize = environmentSize(environment['holiday-fetcher'], {
      HOLIDAY_BUCKET: 63,
      ALERT_TOPIC_ARN: `arn:${partition}:sns:${instanceRegion}:${account}:`.length + 256,
    });
    if (fetcherSize > ENVIRONMENT_LIMIT_BYTES) {
      const what = settings.sites
        ? `sites (SITES alone is ${environmentSize({ SITES: settings.sites.json }, {}) - '{"SITES":""}'.length} bytes as Lambda counts it)`
        : 'calendarUrls, closedDates, hoursOfOperationIds and holidayHoursOfOperationId';
      throw new SettingsError(
        `context ${what}: holiday-fetcher's environment would take up to ${fetcherSize} bytes, over Lambda's limit of 4 KB (${ENVIRONMENT_LIMIT_BYTES} bytes) for all environment variables of a function together, and the deploy would fail; shorten the list (fewer or shorter calendar URLs, closures, names)`,
      );
    }

    // Where a function's failed asynchronous invocations go (only EventBridge invokes it so).
    const deadLetters: Record<string, sqs.IQueue> = { 'assignment-recorder': recorderDeadLetters };

    const associations: connect.CfnIntegrationAssociation[] = [];
    for (const spec of FUNCTIONS) {
      const reserved = spec.singleRun && settings.reserveDialerConcurrency ? 1 : undefined;
      const fn = this.suiteFunction(
        spec,
        props.code(spec.name),
        environment[spec.name],
        permissions[spec.name],
        reserved,
        deadLetters[spec.name],
      );
      this.functions[spec.name] = fn;
      this.alarms(spec, fn, alerts);
      if (spec.contactFlow) {
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

    // A failed or throttled dialer run is never retried by Lambda, and an invocation that waited
    // more than two minutes in Lambda's queue is dropped: a late run could call outside calling
    // hours. The next schedule tick is the retry.
    this.functions['campaign-dialer'].configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(2) });

    new events.Rule(this, 'HolidayFetcherSchedule', {
      description: 'Refresh the holiday list',
      schedule: events.Schedule.expression(settings.holidaySchedule),
      targets: [new targets.LambdaFunction(this.functions['holiday-fetcher'], { retryAttempts: 2 })],
    });
    if (settings.dialerSchedule) {
      new events.Rule(this, 'CampaignDialerSchedule', {
        description: 'Dial the campaign',
        schedule: events.Schedule.expression(settings.dialerSchedule),
        // A failed run is not retried: the next tick is the retry, and runs never overlap.
        targets: [new targets.LambdaFunction(this.functions['campaign-dialer'], { retryAttempts: 0 })],
      });
    }
    new events.Rule(this, 'AssignmentRecorderContactEvents', {
      description: 'Remember who answered a call of this instance',
      eventPattern: {
        source: ['aws.connect'],
        detailType: ['Amazon Connect Contact Event'],
        detail: {
          instanceArn: [instanceArn],
          // Only a call has a caller number to remember.
          channel: ['VOICE'],
          // With a minimum, only the disconnect tells how long the agent was on the call.
          eventType: [settings.minConnectedSeconds > 0 ? 'DISCONNECTED' : 'CONNECTED_TO_AGENT'],
        },
      },
      targets: [
        new targets.LambdaFunction(this.functions['assignment-recorder'], {
          // For when EventBridge cannot hand the event to Lambda (throttling, an outage). A late
          // or repeated event is harmless: the newer connection wins and a repeat rewrites the
          // same assignment.
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: recorderDeadLetters,
        }),
      ],
    });
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
    for (const spec of FUNCTIONS) values[arnPlaceholder(spec.name)] = this.functions[spec.name].functionArn;
    const flow = (id: string, file: string, name: string, description: string, type = 'CONTACT_FLOW') => {
      const content = fs.readFileSync(path.join(props.flowsDir, file), 'utf8');
      // Only what the flow names: binding every ARN would make the dialer (whose environment
      // names the outbound flow) and that flow depend on each other.
      const variables: Record<string, string> = {};
      for (const [, placeholder] of content.matchAll(/\$\{([^}]*)\}/g)) {
        if (!(placeholder in values)) {
          throw new Error(`${file}: unknown placeholder \${${placeholder}}; known: ${Object.keys(values).join(', ')}`);
        }
        variables[placeholder] = values[placeholder];
      }
      const created = new connect.CfnContactFlow(this, id, {
        instanceArn,
        name,
        description,
        type,
        content: Fn.sub(content, variables),
      });
      // Connect refuses a flow that invokes a function not yet associated with the instance.
      for (const association of associations) created.node.addDependency(association);
      return created;
    };
    let inbound: connect.CfnContactFlow;
    if (settings.routing === 'direct') {
      // The agent queue's wait: after agentQueueSeconds the caller moves to the standard queue.
      const customerQueue = flow(
        'CustomerQueueFlow',
        'customer-queue-direct.json',
        'connect-lambdas customer queue (direct)',
        'Hold message in the agent queue, then a move to the standard queue',
        'CUSTOMER_QUEUE',
      );
      values.CustomerQueueFlowArn = customerQueue.attrContactFlowArn;
      new CfnOutput(this, 'CustomerQueueFlowArn', { value: customerQueue.attrContactFlowArn });
      inbound = flow(
        'InboundFlow',
        'inbound-direct.json',
        'connect-lambdas inbound',
        'Holiday check, then the caller last agent or the next available agent (agent queue), or the queue',
      );
    } else {
      inbound = flow(
        'InboundFlow',
        'inbound.json',
        'connect-lambdas inbound',
        'Holiday check, then the standard queue, preferring the caller last agent for a while',
      );
    }
    const outbound = flow(
      'OutboundCampaignFlow',
      'outbound-campaign.json',
      'connect-lambdas outbound campaign',
      'Asks the customer for a choice, records it and connects or says goodbye',
    );
    this.functions['campaign-dialer'].addEnvironment('CONTACT_FLOW_ID', outbound.attrContactFlowArn);

    new CfnOutput(this, 'HolidayBucketName', { value: bucket.bucketName });
    new CfnOutput(this, 'AssignmentsTableName', { value: assignments.tableName });
    new CfnOutput(this, 'CustomersTableName', { value: customers.tableName });
    new CfnOutput(this, 'DoNotCallTableName', { value: doNotCall.tableName });
    new CfnOutput(this, 'AlertTopicArn', { value: alerts.topicArn });
    new CfnOutput(this, 'AssignmentRecorderDeadLetterQueueUrl', { value: recorderDeadLetters.queueUrl });
    new CfnOutput(this, 'InboundFlowArn', { value: inbound.attrContactFlowArn });
    new CfnOutput(this, 'OutboundCampaignFlowArn', { value: outbound.attrContactFlowArn });
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
