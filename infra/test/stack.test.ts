// The synthesized stack: every resource, permission and policy the suite relies on.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';

import * as fs from 'node:fs';
import * as path from 'node:path';

import { Flow, simulate } from '../lib/flow-contract';
import { FUNCTIONS } from '../lib/functions';
import { SettingsError, settingsFrom } from '../lib/settings';
import { ENVIRONMENT_LIMIT_BYTES, environmentSize } from '../lib/stack';
import { matches } from './event-pattern';
import { EVERY_FUNCTION, INSTANCE_ARN, QUEUE_ARN, ROOT, settings, synth } from './support';

/** The functions the default flows (routing=standard and the outbound flow) invoke. */
const INVOKED_BY_STANDARD_FLOWS = ['holiday-check', 'last-agent-lookup', 'ivr-choice-recorder'];
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

/** The default routing (standard): no agent-picker, no customer-queue flow. */
const STANDARD = synth();
const { stack, template } = synth({ ...EVERY_FUNCTION, alertEmail: 'ops@example.com', dialerSchedule: 'rate(5 minutes)', closedDates: '12-29..01-03' });

function logicalId(name: string): string {
  return stack.getLogicalId(stack.functions[name].node.defaultChild as CfnElement);
}

function resource(id: string): { Type: string; Properties: Record<string, any>; DependsOn?: string[] } {
  return template.toJSON().Resources[id];
}

function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** The one resource of a type whose logical id starts with `prefix`. */
function only(type: string, prefix: string, from = template): [string, Record<string, any>] {
  const found = Object.entries(from.findResources(type)).filter(([id]) => id.startsWith(prefix));
  assert.equal(found.length, 1, `${type} ${prefix}*: ${found.map(([id]) => id).join(', ')}`);
  return found[0];
}

const DEAD_LETTERS = only('AWS::SQS::Queue', 'AssignmentRecorderDeadLetterQueue')[0];
const CUSTOMERS = only('AWS::DynamoDB::Table', 'CustomersTable')[0];
const DO_NOT_CALL = only('AWS::DynamoDB::Table', 'DoNotCallTable')[0];
const DO_NOT_CALL_ARN = { 'Fn::GetAtt': [DO_NOT_CALL, 'Arn'] };
const BUCKET = only('AWS::S3::Bucket', 'HolidayBucket')[0];
const HOLIDAY_OBJECT = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [BUCKET, 'Arn'] }, '/holidays.json']] };

/** Every statement of the inline policies on a function's role. */
function statements(name: string): Record<string, any>[] {
  const role = resource(logicalId(name)).Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) =>
    p.Properties.Roles.some((r: any) => r.Ref === role),
  );
  return policies.flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('storage and alerts', () => {
  it('the holiday bucket is private, encrypted, versioned and TLS-only', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });

  it('the three tables are keyed by phoneNumber with point-in-time recovery; assignments expire', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    assert.equal(tables.length, 3);
    for (const table of tables as any[]) {
      assert.deepEqual(table.Properties.KeySchema, [{ AttributeName: 'phoneNumber', KeyType: 'HASH' }]);
      assert.deepEqual(table.Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
      assert.equal(table.Properties.BillingMode, 'PAY_PER_REQUEST');
      assert.equal(table.DeletionPolicy, 'Retain');
    }
    const ttl = tables.map((t: any) => t.Properties.TimeToLiveSpecification).filter(Boolean);
    assert.deepEqual(ttl, [{ AttributeName: 'expiresAt', Enabled: true }]);
  });

  it('the customers table has the sparse to-call index: toCall (campaign) and toCallAt, every attribute projected', () => {
    const customers = resource(CUSTOMERS);
    assert.deepEqual(customers.Properties.GlobalSecondaryIndexes, [
      {
        IndexName: 'to-call',
        KeySchema: [
          { AttributeName: 'toCall', KeyType: 'HASH' },
          { AttributeName: 'toCallAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    assert.deepEqual(customers.Properties.AttributeDefinitions, [
      { AttributeName: 'phoneNumber', AttributeType: 'S' },
      { AttributeName: 'toCall', AttributeType: 'S' },
      { AttributeName: 'toCallAt', AttributeType: 'S' },
    ]);
    // On demand (the exact index above carries no ProvisionedThroughput of its own).
    assert.equal(customers.Properties.BillingMode, 'PAY_PER_REQUEST');
    const assignments = resource(only('AWS::DynamoDB::Table', 'AssignmentsTable')[0]);
    assert.equal(assignments.Properties.GlobalSecondaryIndexes, undefined);
  });

  it('the do-not-call table: phoneNumber only, on demand, point-in-time recovery, kept on delete and replace, never expiring', () => {
    const table = resource(DO_NOT_CALL) as ReturnType<typeof resource> & { DeletionPolicy?: string; UpdateReplacePolicy?: string };
    assert.equal(table.Type, 'AWS::DynamoDB::Table');
    assert.deepEqual(table.Properties.KeySchema, [{ AttributeName: 'phoneNumber', KeyType: 'HASH' }]);
    assert.deepEqual(table.Properties.AttributeDefinitions, [{ AttributeName: 'phoneNumber', AttributeType: 'S' }]);
    assert.equal(table.Properties.BillingMode, 'PAY_PER_REQUEST');
    assert.equal(table.Properties.ProvisionedThroughput, undefined);
    assert.deepEqual(table.Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    // Customers' opt-outs survive a stack deletion or a replacement of the table.
    assert.equal(table.DeletionPolicy, 'Retain');
    assert.equal(table.UpdateReplacePolicy, 'Retain');
    // An opt-out never expires, and the table has no index to read it by anything but the number.
    assert.equal(table.Properties.TimeToLiveSpecification, undefined);
    assert.equal(table.Properties.GlobalSecondaryIndexes, undefined);
    assert.equal(table.Properties.LocalSecondaryIndexes, undefined);
    // Encrypted as the customers table is (the same SSE settings), and no resource policy.
    const customers = resource(CUSTOMERS) as typeof table;
    assert.deepEqual(table.Properties.SSESpecification, customers.Properties.SSESpecification);
    assert.deepEqual([table.DeletionPolicy, table.UpdateReplacePolicy], [customers.DeletionPolicy, customers.UpdateReplacePolicy]);
    assert.equal(table.Properties.ResourcePolicy, undefined);
    template.hasOutput('DoNotCallTableName', { Value: { Ref: DO_NOT_CALL } });
    template.hasOutput('CustomersTableName', { Value: { Ref: CUSTOMERS } });
  });

  it('the alert topic mails the given address and refuses plain HTTP', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    synth().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('functions', () => {
  it('all seven run on provided.al2023 arm64 with JSON logs, explicit memory, timeouts and retention', () => {
    assert.deepEqual(Object.keys(stack.functions).sort(), FUNCTIONS.map((f) => f.name).sort());
    const timeouts: Record<string, number> = { 'holiday-fetcher': 60, 'campaign-dialer': 300 };
    for (const spec of FUNCTIONS) {
      const fn = resource(logicalId(spec.name)).Properties;
      assert.equal(fn.Runtime, 'provided.al2023', spec.name);
      assert.deepEqual(fn.Architectures, ['arm64'], spec.name);
      assert.equal(fn.Handler, 'bootstrap', spec.name);
      assert.equal(fn.MemorySize, spec.contactFlow ? 256 : 128, spec.name);
      assert.equal(fn.Timeout, timeouts[spec.name] ?? 3, spec.name);
      assert.equal(fn.LoggingConfig.LogFormat, 'JSON', spec.name);
      const logGroup = resource(fn.LoggingConfig.LogGroup.Ref);
      assert.equal(logGroup.Properties.RetentionInDays, 30, spec.name);
    }
  });

  it('each function gets the environment its config reads', () => {
    const env = (name: string) => resource(logicalId(name)).Properties.Environment.Variables;
    assert.deepEqual(Object.keys(env('holiday-fetcher')).sort(), [
      'ALERT_TOPIC_ARN', 'CLOSED_DATES', 'HOLIDAY_BUCKET', 'HOLIDAY_KEY', 'TIME_ZONE',
    ]);
    assert.equal(env('holiday-fetcher').CLOSED_DATES, '12-29..01-03');
    assert.deepEqual(Object.keys(env('holiday-check')).sort(), ['ALERT_TOPIC_ARN', 'HOLIDAY_BUCKET', 'HOLIDAY_KEY', 'SITE', 'TIME_ZONE']);
    // Without sites, the one site of the single-site settings.
    assert.equal(env('holiday-check').SITE, 'default');
    // The picker asks only about agents whose routing profiles serve the flow's queue.
    assert.deepEqual(env('agent-picker'), { CONNECT_INSTANCE_ID: INSTANCE_ARN, QUEUE_IDS: QUEUE_ARN });
    assert.equal(env('last-agent-lookup').CONNECT_INSTANCE_ID, INSTANCE_ARN);
    assert.equal(env('last-agent-lookup').QUEUE_ID, QUEUE_ARN);
    assert.deepEqual(Object.keys(env('last-agent-lookup')).sort(), ['ASSIGNMENTS_TABLE', 'CONNECT_INSTANCE_ID', 'QUEUE_ID']);
    const preferring = synth({ preferAgentStatuses: 'Available, Outbound ready', preferOnError: 'true' });
    const lookup = preferring.stack.getLogicalId(preferring.stack.functions['last-agent-lookup'].node.defaultChild as CfnElement);
    const preferringEnv = preferring.template.toJSON().Resources[lookup].Properties.Environment.Variables;
    assert.deepEqual([preferringEnv.PREFER_AGENT_STATUSES, preferringEnv.PREFER_ON_ERROR], ['Available,Outbound ready', 'true']);
    assert.deepEqual(env('assignment-recorder'), {
      ASSIGNMENTS_TABLE: { Ref: only('AWS::DynamoDB::Table', 'AssignmentsTable')[0] },
      MIN_CONNECTED_SECONDS: '0',
      RECORD_INITIATION_METHODS: 'INBOUND',
    });
    assert.deepEqual(env('ivr-choice-recorder').CAMPAIGN, 'campaign');
    const dialer = env('campaign-dialer');
    assert.equal(dialer.QUEUE_ID, QUEUE_ARN);
    assert.deepEqual(dialer.CONTACT_FLOW_ID, { 'Fn::GetAtt': ['OutboundCampaignFlow', 'ContactFlowArn'] });
    // ivr-choice-recorder: the customers table, the campaign and the do-not-call table (no index),
    // and the dialer's retry wait for a no input or a failed transfer.
    assert.deepEqual(env('ivr-choice-recorder'), {
      CUSTOMERS_TABLE: { Ref: CUSTOMERS },
      CAMPAIGN: 'campaign',
      DO_NOT_CALL_TABLE: { Ref: DO_NOT_CALL },
      RETRY_AFTER_MINUTES: '60',
    });
    // Both read and write the one do-not-call table; no other function is told of it.
    assert.deepEqual(dialer.DO_NOT_CALL_TABLE, { Ref: DO_NOT_CALL });
    for (const spec of FUNCTIONS.filter((f) => !['ivr-choice-recorder', 'campaign-dialer'].includes(f.name))) {
      assert.ok(!JSON.stringify(env(spec.name)).includes(DO_NOT_CALL), spec.name);
    }
  });

  it('campaign-dialer gets the index, the holiday list, the time zone and the calling rules (defaults)', () => {
    const dialer = resource(logicalId('campaign-dialer')).Properties.Environment.Variables;
    assert.deepEqual(Object.keys(dialer).sort(), [
      'CALLING_HOURS', 'CAMPAIGN', 'CONNECT_INSTANCE_ID', 'CONTACT_FLOW_ID', 'CUSTOMERS_TABLE', 'DO_NOT_CALL_TABLE', 'HOLIDAY_BUCKET',
      'HOLIDAY_KEY', 'MAX_ATTEMPTS', 'QUEUE_ID', 'RETRY_AFTER_MINUTES', 'SITE', 'TIME_ZONE', 'TO_CALL_INDEX',
    ]);
    assert.equal(dialer.SITE, 'default');
    assert.deepEqual(dialer.CUSTOMERS_TABLE, { Ref: CUSTOMERS });
    assert.equal(dialer.TO_CALL_INDEX, 'to-call');
    assert.equal(dialer.CALLING_HOURS, 'Mon-Fri 09:00-20:00');
    assert.equal(dialer.RETRY_AFTER_MINUTES, '60');
    assert.equal(dialer.MAX_ATTEMPTS, '3');
    // The very list and time zone holiday-check answers from.
    const check = resource(logicalId('holiday-check')).Properties.Environment.Variables;
    assert.deepEqual(dialer.HOLIDAY_BUCKET, { Ref: BUCKET });
    assert.deepEqual(
      [dialer.HOLIDAY_BUCKET, dialer.HOLIDAY_KEY, dialer.TIME_ZONE, dialer.SITE],
      [check.HOLIDAY_BUCKET, check.HOLIDAY_KEY, check.TIME_ZONE, check.SITE],
    );
    assert.equal(dialer.HOLIDAY_KEY, 'holidays.json');
    assert.equal(dialer.TIME_ZONE, 'Asia/Tokyo');
  });

  it('campaign-dialer takes callingHours, retryAfterMinutes, maxAttempts and timeZone from context', () => {
    const custom = synth({
      callingHours: 'Mon-Fri 09:30-18:00, Sat 10:00-17:00',
      retryAfterMinutes: '10080',
      maxAttempts: '10',
      timeZone: 'Europe/Berlin',
    });
    const id = custom.stack.getLogicalId(custom.stack.functions['campaign-dialer'].node.defaultChild as CfnElement);
    const dialer = custom.template.toJSON().Resources[id].Properties.Environment.Variables;
    assert.deepEqual(
      [dialer.CALLING_HOURS, dialer.RETRY_AFTER_MINUTES, dialer.MAX_ATTEMPTS, dialer.TIME_ZONE],
      ['Mon-Fri 09:30-18:00, Sat 10:00-17:00', '10080', '10', 'Europe/Berlin'],
    );
    // a customer whose transfer failed, or who pressed nothing, waits the same as a no answer
    const recorderId = custom.stack.getLogicalId(custom.stack.functions['ivr-choice-recorder'].node.defaultChild as CfnElement);
    assert.equal(custom.template.toJSON().Resources[recorderId].Properties.Environment.Variables.RETRY_AFTER_MINUTES, '10080');
  });

  it('a failed or late asynchronous dialer run is dropped, never retried later (the schedule target neither)', () => {
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')) as any[];
    assert.deepEqual(configs.map((c) => c.Properties), [
      { FunctionName: { Ref: logicalId('campaign-dialer') }, Qualifier: '$LATEST', MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 120 },
    ]);
    const [, schedule] = only('AWS::Events::Rule', 'CampaignDialerSchedule');
    assert.deepEqual(schedule.Properties.Targets.map((t: any) => t.RetryPolicy), [{ MaximumRetryAttempts: 0 }]);
    // Also without a schedule: a manual or other asynchronous invoke gets the same policy.
    synth().template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 120 });
  });

  it('campaign-dialer runs one at a time unless told otherwise', () => {
    assert.equal(resource(logicalId('campaign-dialer')).Properties.ReservedConcurrentExecutions, 1);
    const unreserved = synth({ reserveDialerConcurrency: 'false' });
    const id = unreserved.stack.getLogicalId(unreserved.stack.functions['campaign-dialer'].node.defaultChild as CfnElement);
    assert.equal(unreserved.template.toJSON().Resources[id].Properties.ReservedConcurrentExecutions, undefined);
  });
});

describe('least privilege', () => {
  const expected: Record<string, string[]> = {
    'holiday-fetcher': ['s3:GetObject', 's3:ListBucket', 's3:PutObject', 'sns:Publish'],
    'holiday-check': ['s3:GetObject', 's3:ListBucket', 'sns:Publish'],
    'last-agent-lookup': [
      'connect:GetCurrentUserData', 'connect:ListRoutingProfileQueues', 'connect:ListUsers', 'dynamodb:DescribeTable', 'dynamodb:GetItem',
    ],
    'agent-picker': ['connect:GetCurrentUserData', 'connect:ListRoutingProfileQueues', 'connect:ListUsers'],
    'assignment-recorder': ['connect:DescribeContact', 'dynamodb:DescribeTable', 'dynamodb:PutItem', 'sqs:SendMessage'],
    'ivr-choice-recorder': ['dynamodb:DescribeTable', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    'campaign-dialer': [
      'connect:DescribeContact', 'connect:GetCurrentMetricData', 'connect:StartOutboundVoiceContact',
      'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 's3:GetObject',
    ],
  };

  /** The one grant IAM cannot scope by resource (no resource type; see infra/flows/README.md). */
  const unscopable = (name: string, statement: Record<string, any>) =>
    name === 'campaign-dialer' && JSON.stringify(asList(statement.Action)) === JSON.stringify(['connect:StartOutboundVoiceContact']);

  for (const [name, actions] of Object.entries(expected)) {
    it(`${name} may do exactly what it does`, () => {
      const granted = statements(name).flatMap((s) => asList(s.Action));
      assert.deepEqual([...new Set(granted)].sort(), [...LOGS, ...actions].sort());
      for (const statement of statements(name)) {
        assert.equal(statement.Effect, 'Allow');
        if (unscopable(name, statement)) continue;
        assert.ok(!asList(statement.Resource).includes('*'), `${name}: ${JSON.stringify(statement)}`);
      }
    });
  }

  it('campaign-dialer never scans: Query on the to-call index only, UpdateItem on the table only, GetItem on the do-not-call table only', () => {
    const dynamo = statements('campaign-dialer').filter((s) => asList(s.Action).some((a: string) => a.startsWith('dynamodb:')));
    assert.ok(!dynamo.some((s) => asList(s.Action).some((a: string) => a === 'dynamodb:Scan' || a === 'dynamodb:*')));
    assert.ok(!JSON.stringify(statements('campaign-dialer')).includes('Scan'));
    assert.deepEqual(dynamo, [
      {
        Action: 'dynamodb:Query',
        Effect: 'Allow',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [CUSTOMERS, 'Arn'] }, '/index/to-call']] },
      },
      { Action: 'dynamodb:UpdateItem', Effect: 'Allow', Resource: { 'Fn::GetAtt': [CUSTOMERS, 'Arn'] } },
      { Action: 'dynamodb:GetItem', Effect: 'Allow', Resource: DO_NOT_CALL_ARN },
    ]);
    // No other function may scan either.
    for (const spec of FUNCTIONS) {
      assert.ok(!statements(spec.name).some((s) => asList(s.Action).includes('dynamodb:Scan')), spec.name);
    }
  });

  it('the do-not-call table: ivr-choice-recorder may only PutItem, campaign-dialer may only GetItem, nobody else anything', () => {
    const onTable = (s: Record<string, any>) => JSON.stringify(s.Resource).includes(`"${DO_NOT_CALL}"`);
    const recorder = statements('ivr-choice-recorder').filter(onTable);
    assert.deepEqual(recorder, [{ Action: 'dynamodb:PutItem', Effect: 'Allow', Resource: DO_NOT_CALL_ARN }]);
    const dialer = statements('campaign-dialer').filter(onTable);
    assert.deepEqual(dialer, [{ Action: 'dynamodb:GetItem', Effect: 'Allow', Resource: DO_NOT_CALL_ARN }]);
    for (const [name, statement, forbidden] of [
      ['ivr-choice-recorder', recorder[0], ['dynamodb:GetItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:*']],
      ['campaign-dialer', dialer[0], ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:*']],
    ] as [string, Record<string, any>, string[]][]) {
      for (const action of forbidden) assert.ok(!asList(statement.Action).includes(action), `${name}: ${action}`);
    }
    // The recorder's PutItem is on the do-not-call table alone; its customer-row writes stay UpdateItem.
    const puts = statements('ivr-choice-recorder').filter((s) => asList(s.Action).includes('dynamodb:PutItem'));
    assert.deepEqual(puts.map((s) => s.Resource), [DO_NOT_CALL_ARN]);
    // No other policy of the stack names the table, nor any wildcard table ARN.
    const policies = template.findResources('AWS::IAM::Policy');
    const recorderRole = resource(logicalId('ivr-choice-recorder')).Properties.Role['Fn::GetAtt'][0];
    const dialerRole = resource(logicalId('campaign-dialer')).Properties.Role['Fn::GetAtt'][0];
    for (const [id, policy] of Object.entries(policies) as [string, any][]) {
      const roles = policy.Properties.Roles.map((r: any) => r.Ref);
      if (roles.includes(recorderRole) || roles.includes(dialerRole)) continue;
      assert.ok(!JSON.stringify(policy).includes(`"${DO_NOT_CALL}"`), id);
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        assert.ok(!JSON.stringify(statement.Resource ?? '').includes(':table/'), id);
      }
    }
    // Nothing outside IAM policies grants it either.
    const others = Object.entries(template.toJSON().Resources as Record<string, any>).filter(
      ([id, r]) => id !== DO_NOT_CALL && r.Type !== 'AWS::IAM::Policy' && JSON.stringify(r).includes(`"${DO_NOT_CALL}"`),
    );
    assert.deepEqual(
      others.map(([id]) => id).sort(),
      [logicalId('campaign-dialer'), logicalId('ivr-choice-recorder')].sort(),
      'only the two functions name it (their DO_NOT_CALL_TABLE)',
    );
  });

  it('campaign-dialer may read the holiday list object and nothing else in S3', () => {
    const s3 = statements('campaign-dialer').filter((s) => asList(s.Action).some((a: string) => a.startsWith('s3:')));
    assert.deepEqual(s3, [{ Action: 's3:GetObject', Effect: 'Allow', Resource: HOLIDAY_OBJECT }]);
    // The object holiday-check reads.
    const check = statements('holiday-check').find((s) => asList(s.Action).includes('s3:GetObject'));
    assert.deepEqual(check?.Resource, HOLIDAY_OBJECT);
  });

  it('campaign-dialer: each Connect call as narrow as IAM allows', () => {
    const connect = statements('campaign-dialer').filter((s) => asList(s.Action).some((a: string) => a.startsWith('connect:')));
    assert.deepEqual(connect, [
      // No resource type and no condition key of its own: "*", in the instance's Region only.
      {
        Action: 'connect:StartOutboundVoiceContact',
        Effect: 'Allow',
        Resource: '*',
        Condition: { StringEquals: { 'aws:RequestedRegion': 'ap-northeast-1' } },
      },
      // Resource type contact*: this instance's contacts.
      { Action: 'connect:DescribeContact', Effect: 'Allow', Resource: `${INSTANCE_ARN}/contact/*` },
      // Resource type queue*: the campaign queue, the only one it asks about.
      { Action: 'connect:GetCurrentMetricData', Effect: 'Allow', Resource: QUEUE_ARN },
    ]);
  });

  it('holiday-fetcher may manage hours-of-operation overrides only when asked to sync them', () => {
    const hours = '22222222-3333-4444-5555-666666666666';
    const syncing = synth({ hoursOfOperationIds: hours, overrideHorizonDays: '180' });
    const fetcher = syncing.stack.getLogicalId(syncing.stack.functions['holiday-fetcher'].node.defaultChild as CfnElement);
    const resources = syncing.template.toJSON().Resources;
    const env = resources[fetcher].Properties.Environment.Variables;
    assert.deepEqual(
      [env.CONNECT_INSTANCE_ID, env.HOURS_OF_OPERATION_IDS, env.OVERRIDE_HORIZON_DAYS],
      [INSTANCE_ARN, hours, '180'],
    );
    const role = resources[fetcher].Properties.Role['Fn::GetAtt'][0];
    const granted = Object.values(syncing.template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => asList(s.Action).some((a: string) => a.startsWith('connect:')));
    assert.deepEqual(granted.flatMap((s: any) => asList(s.Action)).sort(), [
      'connect:CreateHoursOfOperationOverride', 'connect:DeleteHoursOfOperationOverride', 'connect:ListHoursOfOperationOverrides',
    ]);
    // Exactly the listed hours of operation, and the instance (both resource types are required).
    assert.deepEqual(asList(granted[0].Resource), [INSTANCE_ARN, `${INSTANCE_ARN}/operating-hours/${hours}`]);
    assert.equal(resource(logicalId('holiday-fetcher')).Properties.Environment.Variables.HOURS_OF_OPERATION_IDS, undefined);
    assert.ok(!statements('holiday-fetcher').some((s) => asList(s.Action).some((a: string) => a.startsWith('connect:'))));
    assert.throws(() => settings({ hoursOfOperationIds: 'queue/1' }), /hoursOfOperationIds/);
    assert.throws(() => settings({ overrideHorizonDays: '5000' }), /overrideHorizonDays/);
  });

  it('campaigns-v2: the dialer may hand requests to its one campaign and places no call itself', () => {
    const v2 = synth({ dialerEngine: 'campaigns-v2', outboundCampaignId: 'spring-v2' });
    const dialer = v2.stack.getLogicalId(v2.stack.functions['campaign-dialer'].node.defaultChild as CfnElement);
    const resources = v2.template.toJSON().Resources;
    const env = resources[dialer].Properties.Environment.Variables;
    assert.deepEqual([env.ENGINE, env.OUTBOUND_CAMPAIGN_ID], ['campaigns-v2', 'spring-v2']);
    const role = resources[dialer].Properties.Role['Fn::GetAtt'][0];
    const granted = Object.values(v2.template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const actions = granted.flatMap((s: any) => asList(s.Action));
    assert.ok(!actions.includes('connect:StartOutboundVoiceContact'), actions.join(', '));
    const handing = granted.filter((s: any) => asList(s.Action).includes('connect-campaigns:PutOutboundRequestBatch'));
    assert.deepEqual(handing.map((s: any) => s.Resource), [
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':connect-campaigns:ap-northeast-1:123456789012:campaign/spring-v2']] },
    ]);
    // the default engine is unchanged
    const direct = resource(logicalId('campaign-dialer')).Properties.Environment.Variables;
    assert.deepEqual([direct.ENGINE, direct.OUTBOUND_CAMPAIGN_ID], [undefined, undefined]);
    assert.throws(() => settings({ dialerEngine: 'campaigns-v2' }), /outboundCampaignId is required/);
    assert.throws(() => settings({ dialerEngine: 'pinpoint' }), /dialerEngine/);
  });

  it('holiday-fetcher may read and update exactly the campaigns whose restricted periods it keeps', () => {
    const periods = synth({ outboundCampaignIds: 'c-spring, c-autumn' });
    const fetcher = periods.stack.getLogicalId(periods.stack.functions['holiday-fetcher'].node.defaultChild as CfnElement);
    const resources = periods.template.toJSON().Resources;
    assert.equal(resources[fetcher].Properties.Environment.Variables.OUTBOUND_CAMPAIGN_IDS, 'c-spring,c-autumn');
    const role = resources[fetcher].Properties.Role['Fn::GetAtt'][0];
    const granted = Object.values(periods.template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => asList(s.Action).some((a: string) => a.startsWith('connect-campaigns:')));
    assert.deepEqual(granted.flatMap((s: any) => asList(s.Action)).sort(), [
      'connect-campaigns:DescribeCampaign', 'connect-campaigns:UpdateCampaignCommunicationTime',
    ]);
    assert.equal(asList(granted[0].Resource).length, 2);
    assert.ok(JSON.stringify(granted[0].Resource).includes('campaign/c-autumn'));
    assert.ok(!statements('holiday-fetcher').some((s) => asList(s.Action).some((a: string) => a.startsWith('connect-campaigns:'))));
    assert.throws(() => settings({ outboundCampaignIds: 'a campaign' }), /outboundCampaignIds/);
  });

  it('Connect calls are scoped to the one instance', () => {
    for (const name of ['last-agent-lookup', 'agent-picker']) {
      // ListRoutingProfileQueues sits in the same statement as the other agent reads.
      const reads = statements(name).filter((s) => asList(s.Action).includes('connect:ListRoutingProfileQueues'));
      assert.deepEqual(reads.map((s) => asList(s.Action).sort()), [
        ['connect:GetCurrentUserData', 'connect:ListRoutingProfileQueues', 'connect:ListUsers'],
      ], name);
      const connect = statements(name).filter((s) => asList(s.Action).some((a: string) => a.startsWith('connect:')));
      for (const statement of connect) {
        assert.deepEqual(asList(statement.Resource).sort(), [INSTANCE_ARN, `${INSTANCE_ARN}/*`].sort(), name);
      }
    }
  });

  it('assignment-recorder may describe the contacts of the one instance and dead-letter to its queue only', () => {
    const describe = statements('assignment-recorder').filter((s) => asList(s.Action).includes('connect:DescribeContact'));
    assert.deepEqual(describe.map((s) => s.Resource), [`${INSTANCE_ARN}/contact/*`]);
    assert.deepEqual(asList(describe[0].Action), ['connect:DescribeContact']);
    const send = statements('assignment-recorder').filter((s) => asList(s.Action).some((a: string) => a.startsWith('sqs:')));
    assert.deepEqual(send, [
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: { 'Fn::GetAtt': [DEAD_LETTERS, 'Arn'] } },
    ]);
  });

  it('the holiday list is the only object the holiday functions touch', () => {
    const s3 = statements('holiday-check').filter((s) => asList(s.Action).includes('s3:GetObject'));
    assert.equal(s3.length, 1);
    assert.match(JSON.stringify(s3[0].Resource), /\/holidays\.json/);
    const list = statements('holiday-check').find((s) => asList(s.Action).includes('s3:ListBucket'));
    assert.deepEqual(list?.Condition, { StringEquals: { 's3:prefix': 'holidays.json' } });
  });

  it('roles carry no managed policies', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role')) as any[]) {
      assert.equal(role.Properties.ManagedPolicyArns, undefined);
    }
  });
});

describe('Amazon Connect wiring', () => {
  it('each function a deployed flow invokes is associated with the instance and invocable by it alone; no other', () => {
    const invoked = { standard: ['holiday-check', 'last-agent-lookup', 'ivr-choice-recorder'], direct: ['holiday-check', 'last-agent-lookup', 'agent-picker', 'ivr-choice-recorder'] };
    for (const [routing, names] of Object.entries(invoked)) {
      const from = routing === 'standard' ? STANDARD.template : template;
      const associated = Object.values(from.findResources('AWS::Connect::IntegrationAssociation')).map((a: any) => a.Properties.IntegrationArn['Fn::GetAtt'][0]);
      const invocable = Object.values(from.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'connect.amazonaws.com' } })).map((p: any) => p.Properties.FunctionName['Fn::GetAtt'][0]);
      const expected = names.map(logicalId).sort();
      assert.deepEqual(associated.sort(), expected, routing);
      assert.deepEqual(invocable.sort(), expected, routing);
    }
    for (const spec of FUNCTIONS) {
      const arn = { 'Fn::GetAtt': [logicalId(spec.name), 'Arn'] };
      const associations = STANDARD.template.findResources('AWS::Connect::IntegrationAssociation', {
        Properties: { InstanceId: INSTANCE_ARN, IntegrationType: 'LAMBDA_FUNCTION', IntegrationArn: arn },
      });
      const permissions = STANDARD.template.findResources('AWS::Lambda::Permission', {
        Properties: {
          Principal: 'connect.amazonaws.com',
          SourceArn: INSTANCE_ARN,
          SourceAccount: '123456789012',
          FunctionName: arn,
          Action: 'lambda:InvokeFunction',
        },
      });
      const expected = INVOKED_BY_STANDARD_FLOWS.includes(spec.name) ? 1 : 0;
      assert.equal(Object.keys(associations).length, expected, spec.name);
      assert.equal(Object.keys(permissions).length, expected, spec.name);
    }
  });

  it('the flows are created with function ARNs filled in, after the associations', () => {
    const flows = STANDARD.template.findResources('AWS::Connect::ContactFlow');
    assert.deepEqual(Object.keys(flows).sort(), ['InboundFlow', 'OutboundCampaignFlow']);
    const direct = synth({ routing: 'direct' }).template;
    const directFlows = direct.findResources('AWS::Connect::ContactFlow');
    assert.deepEqual(Object.keys(directFlows).sort(), ['CustomerQueueFlow', 'InboundFlow', 'OutboundCampaignFlow']);
    assert.equal(directFlows.CustomerQueueFlow.Properties.Type, 'CUSTOMER_QUEUE');
    for (const [id, flow] of [...Object.entries(flows), ['CustomerQueueFlow', directFlows.CustomerQueueFlow]] as [string, any][]) {
      assert.equal(flow.Properties.Type, id === 'CustomerQueueFlow' ? 'CUSTOMER_QUEUE' : 'CONTACT_FLOW');
      assert.equal(flow.Properties.InstanceArn, INSTANCE_ARN);
      const [content, variables] = flow.Properties.Content['Fn::Sub'];
      JSON.parse(content);
      const used = [...content.matchAll(/\$\{([^}]*)\}/g)].map((m: RegExpMatchArray) => m[1]);
      assert.deepEqual(Object.keys(variables).sort(), [...new Set(used)].sort(), id);
      assert.equal(variables.QueueArn, QUEUE_ARN);
      const associations = Object.keys((id === 'CustomerQueueFlow' ? direct : STANDARD.template).findResources('AWS::Connect::IntegrationAssociation'));
      for (const association of associations) assert.ok(flow.DependsOn.includes(association), `${id} after ${association}`);
    }
    const inbound = flows.InboundFlow.Properties.Content['Fn::Sub'][1];
    assert.deepEqual(inbound.HolidayCheckArn, { 'Fn::GetAtt': [logicalId('holiday-check'), 'Arn'] });
  });

  it('holiday-fetcher runs daily at 08:00 JST and the dialer on its schedule', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 23 * * ? *)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId('holiday-fetcher'), 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId('campaign-dialer'), 'Arn'] } })],
    });
    // The dialer's schedule only when asked for; the contact-event rule always.
    synth().template.resourceCountIs('AWS::Events::Rule', 2);
  });
});

/** A flow's content as Connect gets it: the `Fn::Sub` strings filled in, references left as `${Name}`. */
function flowContent(from: typeof template, id: string): { flow: Flow; variables: Record<string, any> } {
  const [content, variables] = from.toJSON().Resources[id].Properties.Content['Fn::Sub'];
  const filled = content.replace(/\$\{([^}]*)\}/g, (whole: string, name: string) =>
    typeof variables[name] === 'string' ? variables[name] : whole,
  );
  return { flow: JSON.parse(filled), variables };
}

describe('routing variants', () => {
  const returning = { '$.External.isClosed': 'false', hours: 'True', '$.External.preferAgent': 'true' };

  it('routing=standard (default): inbound.json with the routing-criteria step lasting preferredAgentSeconds', () => {
    const { flow, variables } = flowContent(STANDARD.template, 'InboundFlow');
    assert.deepEqual(Object.keys(variables).sort(), [
      'AskReturningCaller', 'HolidayCheckArn', 'LastAgentLookupArn', 'PreferredAgentSeconds', 'QueueArn',
    ]);
    const criteria = flow.Actions.filter((a) => a.Type === 'UpdateContactRoutingCriteria');
    assert.equal(criteria.length, 1);
    const steps = (criteria[0].Parameters as any).RoutingCriteria.Steps;
    assert.equal(steps.length, 1);
    assert.deepEqual(steps[0].Expiry, { DurationInSeconds: '15' });
    assert.deepEqual(steps[0].Expression.AttributeCondition.MatchCriteria.AgentsCriteria.AgentIds, ['$.External.agentId']);
    assert.ok(!flow.Actions.some((a) => a.Type === 'UpdateContactTargetQueue' && a.Parameters?.AgentId !== undefined));
    assert.ok(!flow.Actions.some((a) => a.Type === 'UpdateContactEventHooks'));
    const path = simulate(flow, returning).map((a) => a.Type);
    assert.ok(!path.includes('GetParticipantInput'), 'no question by default');
    assert.deepEqual(path.slice(-2), ['UpdateContactRoutingCriteria', 'TransferContactToQueue']);
    assert.ok(path.indexOf('UpdateContactTargetQueue') < path.indexOf('CheckHoursOfOperation'), 'the standard queue, set before its hours are checked');
    STANDARD.template.resourceCountIs('AWS::Connect::ContactFlow', 2);
    assert.equal(STANDARD.template.toJSON().Outputs.CustomerQueueFlowArn, undefined);
  });

  it('preferredAgentSeconds and askReturningCaller reach the flow; the question comes before the criteria', () => {
    const { flow } = flowContent(synth({ preferredAgentSeconds: '45', askReturningCaller: 'true' }).template, 'InboundFlow');
    const steps = (flow.Actions.find((a) => a.Type === 'UpdateContactRoutingCriteria')!.Parameters as any).RoutingCriteria.Steps;
    assert.deepEqual(steps.map((s: any) => s.Expiry), [{ DurationInSeconds: '45' }]);
    const yes = simulate(flow, { ...returning, input: '1' }).map((a) => a.Type);
    assert.ok(yes.includes('GetParticipantInput') && yes.indexOf('GetParticipantInput') < yes.indexOf('UpdateContactRoutingCriteria'));
    const no = simulate(flow, { ...returning, input: '2' }).map((a) => a.Type);
    assert.ok(no.includes('GetParticipantInput') && !no.includes('UpdateContactRoutingCriteria'));
  });

  it('routing=direct: inbound-direct.json and a customer-queue flow moving callers after agentQueueSeconds', () => {
    const direct = synth({ routing: 'direct', agentQueueSeconds: '120' });
    const { flow, variables } = flowContent(direct.template, 'InboundFlow');
    assert.deepEqual(variables.CustomerQueueFlowArn, { 'Fn::GetAtt': ['CustomerQueueFlow', 'ContactFlowArn'] });
    assert.deepEqual(variables.AgentPickerArn, { 'Fn::GetAtt': [direct.stack.getLogicalId(direct.stack.functions['agent-picker'].node.defaultChild as CfnElement), 'Arn'] });
    assert.ok(!flow.Actions.some((a) => a.Type === 'UpdateContactRoutingCriteria'));
    const hook = flow.Actions.find((a) => a.Type === 'UpdateContactEventHooks')!;
    assert.deepEqual(hook.Parameters, { EventHooks: { CustomerQueue: '${CustomerQueueFlowArn}' } });
    const available = simulate(flow, { '$.External.isClosed': 'false', hours: 'True', '$.External.status': 'available' }).map((a) => a.Type);
    assert.deepEqual(available.slice(-3), ['UpdateContactTargetQueue', 'UpdateContactEventHooks', 'TransferContactToQueue']);
    const queue = flowContent(direct.template, 'CustomerQueueFlow');
    assert.deepEqual(Object.keys(queue.variables).sort(), ['AgentQueueSeconds', 'QueueArn']);
    assert.equal(queue.variables.AgentQueueSeconds, '120');
    const moved = simulate(queue.flow, {}, 'CUSTOMER_QUEUE');
    assert.deepEqual(moved.map((a) => a.Type).slice(-2), ['MessageParticipantIteratively', 'DequeueContactAndTransferToQueue']);
    assert.equal(moved[1].Parameters?.InterruptFrequencySeconds, '120');
    assert.deepEqual(moved[2].Parameters, { QueueId: QUEUE_ARN });
    direct.template.hasOutput('CustomerQueueFlowArn', { Value: { 'Fn::GetAtt': ['CustomerQueueFlow', 'ContactFlowArn'] } });
  });
});

/** The contact-event rule's pattern: each documented spelling of the fields is one `$or` branch. */
const pattern = (eventType: string) => {
  const voice = [{ 'equals-ignore-case': 'VOICE' }];
  return {
    source: ['aws.connect'],
    'detail-type': ['Amazon Connect Contact Event'],
    detail: {
      $or: [
        { eventType: [eventType], channel: voice, instanceArn: [INSTANCE_ARN] },
        { eventType: [eventType], channel: voice, instanceARN: [INSTANCE_ARN] },
        { EventType: [eventType], Channel: voice, InstanceARN: [INSTANCE_ARN] },
      ],
    },
  };
};

describe('contact events', () => {
  const ROOT_EVENTS = path.join(ROOT, 'events', 'assignment-recorder');
  const sample = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT_EVENTS, file), 'utf8'));
  /** The rule's pattern with our instance's ARN replaced by `arn` (a sample's own instance). */
  const ruleFor = (arn: string, from = template) => {
    const [, rule] = only('AWS::Events::Rule', 'AssignmentRecorderContactEvents', from);
    return JSON.parse(JSON.stringify(rule.Properties.EventPattern).split(INSTANCE_ARN).join(arn));
  };
  const sampleInstance = (event: any): string => event.detail.instanceArn ?? event.detail.instanceARN ?? event.detail.InstanceARN;

  it('the matcher follows EventBridge: lists, nesting, $or, case, prefixes and missing fields', () => {
    const event = { source: 'aws.connect', detail: { channel: 'Voice', tags: ['a', 'b'], n: 5 } };
    assert.ok(matches({ source: ['aws.connect'] }, event));
    assert.ok(!matches({ source: ['AWS.connect'] }, event), 'exact values are case-sensitive');
    assert.ok(matches({ detail: { channel: [{ 'equals-ignore-case': 'VOICE' }] } }, event));
    assert.ok(!matches({ detail: { channel: ['VOICE'] } }, event));
    assert.ok(matches({ detail: { tags: ['b'] } }, event), 'a list in the event matches by any element');
    assert.ok(matches({ detail: { missing: [{ exists: false }] } }, event));
    assert.ok(!matches({ detail: { missing: ['x'] } }, event));
    assert.ok(matches({ source: [{ prefix: 'aws.' }], detail: { n: [5] } }, event));
    assert.ok(matches({ detail: { $or: [{ channel: ['Chat'] }, { n: [5] }] } }, event));
    assert.ok(!matches({ detail: { $or: [{ channel: ['Chat'] }, { n: [6] }] } }, event));
    assert.ok(!matches({ detail: { channel: { nested: ['x'] } } }, event), 'an object pattern needs an object');
  });

  it('every sample event the documentation published matches the rule for its instance', () => {
    const documented = ['documented-connected-to-agent.json', 'documented-pascal-case.json', 'connected-to-agent.json'];
    for (const file of documented) {
      const event = sample(file);
      assert.ok(matches(ruleFor(sampleInstance(event)), event), file);
      // Another instance's event, another channel, another event type: not ours.
      assert.ok(!matches(ruleFor(INSTANCE_ARN), event), `${file} of another instance`);
      const chat = JSON.parse(JSON.stringify(event).replace(/"(channel|Channel)":"[^"]*"/, '"$1":"CHAT"'));
      assert.ok(!matches(ruleFor(sampleInstance(event)), chat), `${file} as a chat`);
      const queued = JSON.parse(JSON.stringify(event).replace('CONNECTED_TO_AGENT', 'QUEUED'));
      assert.ok(!matches(ruleFor(sampleInstance(event)), queued), `${file} queued`);
    }
    // The disconnect samples match the rule made for minConnectedSeconds, and only that one.
    const timed = synth({ minConnectedSeconds: '30' }).template;
    for (const file of ['documented-disconnected.json', 'disconnected.json']) {
      const event = sample(file);
      assert.ok(matches(ruleFor(sampleInstance(event), timed), event), file);
      assert.ok(!matches(ruleFor(sampleInstance(event)), event), `${file} without a minimum`);
    }
  });

  it('answered calls of the instance reach assignment-recorder', () => {
    const [, rule] = only('AWS::Events::Rule', 'AssignmentRecorderContactEvents');
    assert.deepEqual(rule.Properties.EventPattern, pattern('CONNECTED_TO_AGENT'));
    assert.equal(rule.Properties.EventBusName, undefined, 'the default bus');
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [logicalId('assignment-recorder'), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [only('AWS::Events::Rule', 'AssignmentRecorderContactEvents')[0], 'Arn'] },
    });
  });

  it('with minConnectedSeconds, disconnects instead, and the function is told the minimum', () => {
    const timed = synth({ minConnectedSeconds: '30', recordInitiationMethods: 'inbound, TRANSFER,CALLBACK' });
    const [, rule] = only('AWS::Events::Rule', 'AssignmentRecorderContactEvents', timed.template);
    assert.deepEqual(rule.Properties.EventPattern, pattern('DISCONNECTED'));
    const recorder = timed.stack.getLogicalId(timed.stack.functions['assignment-recorder'].node.defaultChild as CfnElement);
    const env = timed.template.toJSON().Resources[recorder].Properties.Environment.Variables;
    assert.equal(env.MIN_CONNECTED_SECONDS, '30');
    assert.equal(env.RECORD_INITIATION_METHODS, 'INBOUND,TRANSFER,CALLBACK');
  });

  it('delivery is retried for two hours, then the event is dead-lettered', () => {
    const [, rule] = only('AWS::Events::Rule', 'AssignmentRecorderContactEvents');
    assert.deepEqual(rule.Properties.Targets, [
      {
        Id: 'Target0',
        Arn: { 'Fn::GetAtt': [logicalId('assignment-recorder'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [DEAD_LETTERS, 'Arn'] } },
      },
    ]);
  });

  it('a function error is dead-lettered to the same queue (Lambda retries asynchronous invocations, not EventBridge)', () => {
    const recorder = resource(logicalId('assignment-recorder')).Properties;
    assert.deepEqual(recorder.DeadLetterConfig, { TargetArn: { 'Fn::GetAtt': [DEAD_LETTERS, 'Arn'] } });
    for (const spec of FUNCTIONS.filter((f) => f.name !== 'assignment-recorder')) {
      assert.equal(resource(logicalId(spec.name)).Properties.DeadLetterConfig, undefined, spec.name);
    }
  });

  it('the dead-letter queue is encrypted, keeps 14 days, is TLS-only and takes events from the rule alone', () => {
    template.resourceCountIs('AWS::SQS::Queue', 1);
    assert.deepEqual(resource(DEAD_LETTERS).Properties, { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: DEAD_LETTERS }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: {
              ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [only('AWS::Events::Rule', 'AssignmentRecorderContactEvents')[0], 'Arn'] } },
            },
          }),
        ]),
      },
    });
    template.hasOutput('AssignmentRecorderDeadLetterQueueUrl', { Value: { Ref: DEAD_LETTERS } });
  });
});

describe('alarms', () => {
  it('errors and throttles of every function alert the topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/Lambda' } })) as any[];
    assert.equal(alarms.length, FUNCTIONS.length * 2);
    const topic = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
    for (const alarm of alarms) {
      assert.deepEqual(alarm.Properties.AlarmActions, [{ Ref: topic }]);
      assert.equal(alarm.Properties.Threshold, 1);
      assert.ok(['Errors', 'Throttles'].includes(alarm.Properties.MetricName));
    }
    for (const spec of FUNCTIONS) {
      const watched = alarms.filter((a) => a.Properties.Dimensions[0].Value.Ref === logicalId(spec.name));
      assert.deepEqual(watched.map((a) => a.Properties.MetricName).sort(), ['Errors', 'Throttles'], spec.name);
    }
  });

  it('a dead-lettered contact event alerts the topic', () => {
    // The one alarm on a queue; those on the suite's own metrics are in observability.test.ts.
    assert.equal(Object.keys(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/SQS' } })).length, 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [DEAD_LETTERS, 'QueueName'] } }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: only('AWS::SNS::Topic', 'AlertTopic')[0] }],
    });
  });
});

describe('settings', () => {
  it('defaults', () => {
    const s = settings();
    assert.equal(s.holidaySchedule, 'cron(0 23 * * ? *)');
    assert.equal(s.timeZone, 'Asia/Tokyo');
    assert.equal(s.reserveDialerConcurrency, true);
    assert.deepEqual(s.calendarUrls, []);
    assert.equal(s.dialerSchedule, undefined);
    assert.equal(s.minConnectedSeconds, 0);
    assert.deepEqual(s.recordInitiationMethods, ['INBOUND']);
    assert.equal(s.routing, 'standard');
    assert.equal(s.preferredAgentSeconds, 15);
    assert.deepEqual([s.preferAgentStatuses, s.preferOnError], [[], false]);
    assert.equal(s.askReturningCaller, false);
    assert.equal(s.agentQueueSeconds, 60);
    assert.equal(s.callingHours, 'Mon-Fri 09:00-20:00');
    assert.equal(s.retryAfterMinutes, 60);
    assert.equal(s.maxAttempts, 3);
  });

  it('calling hours: one or more comma-separated day ranges with times, taken as written', () => {
    for (const hours of [
      'Mon-Fri 09:00-20:00',
      'Sat 10:00-17:00',
      'Mon-Sun 00:00-24:00',
      'Mon-Fri 09:00-12:00,Mon-Fri 13:00-20:00',
      'Mon-Fri 09:00-20:00, Sat 10:00-17:00',
      'Fri 18:00-24:00, Sat 00:00-02:00',
      'Fri-Mon 10:00-16:00',
    ]) {
      assert.equal(settings({ callingHours: hours }).callingHours, hours);
    }
    assert.equal(settings({ callingHours: '  Sat 10:00-17:00 ' }).callingHours, 'Sat 10:00-17:00');
    const low = settings({ retryAfterMinutes: '1', maxAttempts: '1' });
    assert.deepEqual([low.retryAfterMinutes, low.maxAttempts], [1, 1]);
    const high = settings({ retryAfterMinutes: '10080', maxAttempts: '10' });
    assert.deepEqual([high.retryAfterMinutes, high.maxAttempts], [10080, 10]);
  });

  it('routing settings within their limits are taken', () => {
    const s = settings({ routing: 'direct', preferredAgentSeconds: '600', askReturningCaller: 'true', agentQueueSeconds: '10' });
    assert.deepEqual([s.routing, s.preferredAgentSeconds, s.askReturningCaller, s.agentQueueSeconds], ['direct', 600, true, 10]);
    assert.equal(settings({ preferredAgentSeconds: '5', agentQueueSeconds: '600' }).preferredAgentSeconds, 5);
  });

  it('contact-event settings are read as assignment-recorder reads them', () => {
    assert.equal(settings({ minConnectedSeconds: '3600' }).minConnectedSeconds, 3600);
    assert.deepEqual(settings({ recordInitiationMethods: 'outbound, INBOUND,OUTBOUND' }).recordInitiationMethods, ['OUTBOUND', 'INBOUND']);
  });

  it('refuses what cannot work, naming the setting', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ connectInstanceArn: '' }, /connectInstanceArn is required/],
      [{ connectInstanceArn: 'i-123' }, /connectInstanceArn/],
      [{ queueArn: `${INSTANCE_ARN.replace('1111', '9999')}/queue/66666666-7777-8888-9999-000000000000` }, /queueArn must be a queue of/],
      [{ holidaySchedule: 'daily' }, /holidaySchedule/],
      [{ calendarUrls: 'ftp://x' }, /calendarUrls/],
      [{ campaignSourceNumber: '0501234567' }, /campaignSourceNumber/],
      [{ campaign: 'spring sale' }, /campaign/],
      [{ alertEmail: 'ops' }, /alertEmail/],
      [{ reserveDialerConcurrency: 'yes' }, /reserveDialerConcurrency/],
      [{ minConnectedSeconds: '-1' }, /minConnectedSeconds/],
      [{ minConnectedSeconds: '7200' }, /minConnectedSeconds=7200: expected 0 to 3600/],
      [{ minConnectedSeconds: '1.5' }, /minConnectedSeconds/],
      [{ recordInitiationMethods: 'PHONE' }, /recordInitiationMethods: "PHONE" is not one of/],
      [{ recordInitiationMethods: 'INBOUND,MONITOR' }, /recordInitiationMethods: "MONITOR"/],
      [{ routing: 'agent' }, /routing="agent": expected standard or direct/],
      [{ preferredAgentSeconds: '4' }, /preferredAgentSeconds="4": expected whole seconds, 5 to 600/],
      [{ preferredAgentSeconds: '601' }, /preferredAgentSeconds/],
      [{ preferredAgentSeconds: '1.5' }, /preferredAgentSeconds/],
      [{ askReturningCaller: 'yes' }, /askReturningCaller/],
      [{ agentQueueSeconds: '9' }, /agentQueueSeconds="9": expected whole seconds, 10 to 600/],
      [{ agentQueueSeconds: '601' }, /agentQueueSeconds/],
      [{ callingHours: 'weekdays 9-20' }, /callingHours="weekdays 9-20": expected comma-separated ranges such as "Mon-Fri 09:00-20:00"/],
      [{ callingHours: 'Mon-Fri 9:00-20:00' }, /callingHours/],
      [{ callingHours: 'Mon-Fri 09:00-25:00' }, /callingHours/],
      [{ callingHours: 'Mon-Fri 24:00-24:00' }, /callingHours/],
      [{ callingHours: 'Monday-Friday 09:00-20:00' }, /callingHours/],
      [{ callingHours: 'mon-fri 09:00-20:00' }, /callingHours/],
      [{ callingHours: 'Mon-Fri 09:00-20:00,' }, /callingHours/],
      [{ callingHours: 'Mon-Fri' }, /callingHours/],
      [{ callingHours: 'Mon-Fri 20:00-09:00' }, /callingHours: "Mon-Fri 20:00-09:00" must end after it starts/],
      [{ callingHours: 'Mon-Fri 09:00-20:00, Sat 10:00-10:00' }, /callingHours: "Sat 10:00-10:00" must end after it starts/],
      [{ retryAfterMinutes: '0' }, /retryAfterMinutes="0": expected whole minutes, 1 to 10080/],
      [{ retryAfterMinutes: '10081' }, /retryAfterMinutes="10081": expected whole minutes, 1 to 10080/],
      [{ retryAfterMinutes: '1.5' }, /retryAfterMinutes/],
      [{ retryAfterMinutes: '-5' }, /retryAfterMinutes/],
      [{ maxAttempts: '11' }, /maxAttempts="11": expected a whole number of calls, 1 to 10/],
      [{ maxAttempts: '0' }, /maxAttempts="0": expected a whole number of calls, 1 to 10/],
      [{ maxAttempts: 'three' }, /maxAttempts/],
    ];
    for (const [context, message] of cases) {
      assert.throws(() => settings(context), (e: unknown) => e instanceof SettingsError && message.test(e.message));
    }
  });
});

describe('sites', () => {
  const TOKYO_HOURS = '22222222-3333-4444-5555-666666666666';
  const OSAKA_HOURS = '33333333-4444-5555-6666-777777777777';
  const TOKYO_SUB_HOURS = '44444444-5555-6666-7777-888888888888';
  const HOLIDAY_HOURS = '55555555-6666-7777-8888-999999999999';
  const KYOTO_HOLIDAY_HOURS = '66666666-7777-8888-9999-aaaaaaaaaaaa';
  const hoursArn = (id: string) => `${INSTANCE_ARN}/operating-hours/${id}`;
  const SITES = [
    {
      name: 'tokyo',
      calendars: ['https://calendar.test/ja.ics'],
      includeObservances: false,
      closures: '12-29..01-03, 12-28 15:00-24:00',
      timeZone: 'Asia/Tokyo',
      hoursOfOperationIds: [TOKYO_HOURS],
      defaultName: '休業日',
    },
    {
      name: 'osaka',
      calendars: ['https://calendar.test/ja.ics', { url: 'https://intra.test/osaka.ics', timedWindows: true }],
      hoursOfOperationIds: [`${INSTANCE_ARN}/operating-hours/${OSAKA_HOURS}`],
    },
    { name: 'new-york', timeZone: 'America/New_York', calendars: ['https://calendar.test/us.ics'], defaultName: null },
  ];
  const json = (value: unknown) => JSON.stringify(value, null, 2);

  type Synth = ReturnType<typeof synth>;
  const env = (from: Synth, name: string) =>
    from.template.toJSON().Resources[from.stack.getLogicalId(from.stack.functions[name].node.defaultChild as CfnElement)].Properties
      .Environment.Variables;
  /** holiday-fetcher's Connect statements. */
  const connectGrants = (from: Synth) => {
    const fetcher = from.stack.getLogicalId(from.stack.functions['holiday-fetcher'].node.defaultChild as CfnElement);
    const role = from.template.toJSON().Resources[fetcher].Properties.Role['Fn::GetAtt'][0];
    return Object.values(from.template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => asList(st.Action).some((a: string) => a.startsWith('connect:')));
  };
  const refused = (context: Record<string, string>, message: RegExp) =>
    assert.throws(() => synth(context), (e: unknown) => e instanceof SettingsError && message.test(e.message), `${JSON.stringify(context)} -> ${message}`);

  const multi = synth({ sites: json(SITES), overrideHorizonDays: '180', timeZone: 'Europe/Berlin' });

  it('holiday-fetcher gets SITES (compact) and none of the single-site variables', () => {
    const fetcher = env(multi, 'holiday-fetcher');
    assert.deepEqual(Object.keys(fetcher).sort(), [
      'ALERT_TOPIC_ARN', 'CONNECT_INSTANCE_ID', 'HOLIDAY_BUCKET', 'HOLIDAY_KEY', 'OVERRIDE_HORIZON_DAYS', 'SITES', 'TIME_ZONE',
    ]);
    assert.equal(fetcher.SITES, JSON.stringify(SITES));
    assert.deepEqual(JSON.parse(fetcher.SITES), SITES);
    for (const name of [
      'CALENDAR_URLS', 'INCLUDE_OBSERVANCES', 'CLOSED_DATES', 'HOURS_OF_OPERATION_IDS', 'HOLIDAY_HOURS_OF_OPERATION_ID', 'MAX_ADDED_HOLIDAYS',
    ]) {
      assert.equal(fetcher[name], undefined, name);
    }
    // The default zone of sites without one; the instance for the override sync.
    assert.deepEqual([fetcher.TIME_ZONE, fetcher.CONNECT_INSTANCE_ID, fetcher.OVERRIDE_HORIZON_DAYS], ['Europe/Berlin', INSTANCE_ARN, '180']);
    // In cdk.json the list may be JSON itself.
    const given = settingsFrom((name) => ({ connectInstanceArn: INSTANCE_ARN, queueArn: QUEUE_ARN, sites: SITES } as Record<string, unknown>)[name]);
    assert.equal(given.sites?.json, JSON.stringify(SITES));
    assert.deepEqual(given.sites?.sites.map((site) => site.name), ['tokyo', 'osaka', 'new-york']);
  });

  it('sites without hours of operation: no override sync, no Connect permission', () => {
    const plain = synth({ sites: json([{ name: 'tokyo' }, { name: 'osaka', hoursOfOperationIds: [] }]) });
    const fetcher = env(plain, 'holiday-fetcher');
    assert.deepEqual(Object.keys(fetcher).sort(), ['ALERT_TOPIC_ARN', 'HOLIDAY_BUCKET', 'HOLIDAY_KEY', 'SITES', 'TIME_ZONE']);
    assert.deepEqual(connectGrants(plain), []);
  });

  it('the override permissions name exactly the sites\' hours of operation (IDs or ARNs) and the instance', () => {
    const grants = connectGrants(multi);
    assert.equal(grants.length, 1);
    assert.deepEqual(asList(grants[0].Action).sort(), [
      'connect:CreateHoursOfOperationOverride', 'connect:DeleteHoursOfOperationOverride', 'connect:ListHoursOfOperationOverrides',
    ]);
    assert.deepEqual(asList(grants[0].Resource), [
      INSTANCE_ARN,
      `${INSTANCE_ARN}/operating-hours/${TOKYO_HOURS}`,
      `${INSTANCE_ARN}/operating-hours/${OSAKA_HOURS}`,
    ]);
    assert.ok(!JSON.stringify(grants).includes('*'));
    // The single-site setting likewise, IDs and ARNs alike, each once.
    const single = synth({ hoursOfOperationIds: `${TOKYO_HOURS}, ${INSTANCE_ARN}/operating-hours/${OSAKA_HOURS},${TOKYO_HOURS}` });
    assert.deepEqual(asList(connectGrants(single)[0].Resource), [
      INSTANCE_ARN,
      `${INSTANCE_ARN}/operating-hours/${TOKYO_HOURS}`,
      `${INSTANCE_ARN}/operating-hours/${OSAKA_HOURS}`,
    ]);
    assert.equal(env(single, 'holiday-fetcher').HOURS_OF_OPERATION_IDS, `${TOKYO_HOURS},${INSTANCE_ARN}/operating-hours/${OSAKA_HOURS},${TOKYO_HOURS}`);
    // Nothing without hours of operation.
    assert.deepEqual(connectGrants(synth()), []);
  });

  const OVERRIDES = ['connect:CreateHoursOfOperationOverride', 'connect:DeleteHoursOfOperationOverride', 'connect:ListHoursOfOperationOverrides'];
  const LINKS = ['connect:AssociateHoursOfOperations', 'connect:ListChildHoursOfOperations'];
  /** holiday-fetcher's Connect statements as [actions, resources], both sorted (as `minimizePolicies` writes them). */
  const grantsOf = (from: Synth) => connectGrants(from).map((st: any) => [asList(st.Action).sort(), asList(st.Resource).sort()]);

  it('a site\'s holiday hours of operation is passed through SITES, holds its overrides, and its children are linked to it', () => {
    const sites = [
      { name: 'tokyo', hoursOfOperationIds: [TOKYO_HOURS, hoursArn(TOKYO_SUB_HOURS)], holidayHoursOfOperationId: hoursArn(HOLIDAY_HOURS) },
      { name: 'osaka', hoursOfOperationIds: [OSAKA_HOURS] },
      // A holiday hours of operation without children (a person links them): overrides only.
      { name: 'kyoto', holidayHoursOfOperationId: ` ${KYOTO_HOLIDAY_HOURS} ` },
      { name: 'nara', holidayHoursOfOperationId: null },
    ];
    const linked = synth({ sites: json(sites), overrideHorizonDays: '90' });
    const fetcher = env(linked, 'holiday-fetcher');
    assert.equal(fetcher.SITES, JSON.stringify(sites));
    assert.deepEqual([fetcher.CONNECT_INSTANCE_ID, fetcher.OVERRIDE_HORIZON_DAYS], [INSTANCE_ARN, '90']);
    assert.equal(fetcher.HOLIDAY_HOURS_OF_OPERATION_ID, undefined);
    assert.deepEqual(
      settings({ sites: json(sites) }).sites?.sites.map((site) => site.holidayHoursOfOperationId),
      [hoursArn(HOLIDAY_HOURS), undefined, KYOTO_HOLIDAY_HOURS, undefined],
      'as given, trimmed as holiday-fetcher reads it',
    );
    // Overrides on the holders only: a holiday hours of operation, or a site's own hours of
    // operation without one; its children inherit them and keep their own 50 free.
    assert.deepEqual(grantsOf(linked), [
      [OVERRIDES, [INSTANCE_ARN, hoursArn(HOLIDAY_HOURS), hoursArn(OSAKA_HOURS), hoursArn(KYOTO_HOLIDAY_HOURS)].sort()],
      // Listing the parent's children and linking the others: the parent with children and those children.
      [LINKS, [INSTANCE_ARN, hoursArn(HOLIDAY_HOURS), hoursArn(TOKYO_HOURS), hoursArn(TOKYO_SUB_HOURS)].sort()],
    ]);
    assert.ok(!JSON.stringify(connectGrants(linked)).includes('*'));
  });

  it('a holiday hours of operation alone turns the override sync on, without the link permissions', () => {
    const alone = synth({ sites: json([{ name: 'tokyo', holidayHoursOfOperationId: HOLIDAY_HOURS }, { name: 'osaka' }]), overrideHorizonDays: '30' });
    const fetcher = env(alone, 'holiday-fetcher');
    assert.deepEqual([fetcher.CONNECT_INSTANCE_ID, fetcher.OVERRIDE_HORIZON_DAYS], [INSTANCE_ARN, '30']);
    assert.deepEqual(grantsOf(alone), [[OVERRIDES, [INSTANCE_ARN, hoursArn(HOLIDAY_HOURS)].sort()]]);
    // Without a holiday hours of operation, no link permission at all.
    assert.ok(!grantsOf(multi).some(([actions]) => actions.some((a: string) => LINKS.includes(a))));
    assert.ok(!grantsOf(synth({ hoursOfOperationIds: TOKYO_HOURS })).some(([actions]) => actions.some((a: string) => LINKS.includes(a))));
  });

  it('the single-site holidayHoursOfOperationId: HOLIDAY_HOURS_OF_OPERATION_ID, as given, with its children', () => {
    const single = synth({ hoursOfOperationIds: `${TOKYO_HOURS},${hoursArn(OSAKA_HOURS)}`, holidayHoursOfOperationId: hoursArn(HOLIDAY_HOURS) });
    const fetcher = env(single, 'holiday-fetcher');
    assert.deepEqual(
      [fetcher.HOLIDAY_HOURS_OF_OPERATION_ID, fetcher.HOURS_OF_OPERATION_IDS, fetcher.CONNECT_INSTANCE_ID],
      [hoursArn(HOLIDAY_HOURS), `${TOKYO_HOURS},${hoursArn(OSAKA_HOURS)}`, INSTANCE_ARN],
    );
    assert.deepEqual(grantsOf(single), [
      [OVERRIDES, [INSTANCE_ARN, hoursArn(HOLIDAY_HOURS)].sort()],
      [LINKS, [INSTANCE_ARN, hoursArn(HOLIDAY_HOURS), hoursArn(TOKYO_HOURS), hoursArn(OSAKA_HOURS)].sort()],
    ]);
    // Alone: the instance for the sync, overrides on it, nothing to link.
    const alone = synth({ holidayHoursOfOperationId: HOLIDAY_HOURS });
    assert.deepEqual(
      [env(alone, 'holiday-fetcher').HOLIDAY_HOURS_OF_OPERATION_ID, env(alone, 'holiday-fetcher').CONNECT_INSTANCE_ID],
      [HOLIDAY_HOURS, INSTANCE_ARN],
    );
    assert.equal(env(alone, 'holiday-fetcher').HOURS_OF_OPERATION_IDS, undefined);
    assert.deepEqual(grantsOf(alone), [[OVERRIDES, [INSTANCE_ARN, hoursArn(HOLIDAY_HOURS)].sort()]]);
    // Unset, none of it.
    assert.equal(env(synth(), 'holiday-fetcher').HOLIDAY_HOURS_OF_OPERATION_ID, undefined);
    refused({ holidayHoursOfOperationId: 'queue/1' }, /setting holidayHoursOfOperationId="queue\/1": expected an hours of operation ID or ARN/);
    refused(
      { holidayHoursOfOperationId: `${INSTANCE_ARN.replace('1111', '9999')}/operating-hours/${HOLIDAY_HOURS}` },
      /setting holidayHoursOfOperationId: .* is not an hours of operation of arn:aws:connect:/,
    );
    refused(
      { hoursOfOperationIds: `${TOKYO_HOURS},${HOLIDAY_HOURS}`, holidayHoursOfOperationId: hoursArn(HOLIDAY_HOURS) },
      /setting holidayHoursOfOperationId: the holiday hours of operation 55555555-6666-7777-8888-999999999999 cannot also be one of its children \(hoursOfOperationIds\)/,
    );
  });

  it('site: holiday-check and campaign-dialer answer for the first site unless told which', () => {
    assert.deepEqual([env(multi, 'holiday-check').SITE, env(multi, 'campaign-dialer').SITE], ['tokyo', 'tokyo']);
    const osaka = synth({ sites: json(SITES), site: 'osaka' });
    assert.deepEqual([env(osaka, 'holiday-check').SITE, env(osaka, 'campaign-dialer').SITE], ['osaka', 'osaka']);
    assert.equal(env(osaka, 'holiday-fetcher').SITE, undefined);
    const single = synth({ site: 'default' });
    assert.deepEqual([env(single, 'holiday-check').SITE, env(single, 'campaign-dialer').SITE], ['default', 'default']);
    assert.equal(settings({ sites: json([{ name: ' kyoto ' }]) }).site, 'kyoto', 'trimmed, as holiday-fetcher reads names');
    refused({ sites: json(SITES), site: 'nagoya' }, /setting site="nagoya": not one of the sites \(tokyo, osaka, new-york\)/);
    refused({ sites: json(SITES), site: 'default' }, /setting site="default": not one of the sites/);
    refused({ site: 'tokyo' }, /setting site="tokyo": without sites the only site is "default"/);
  });

  it('sites replaces the single-site settings: both together are refused', () => {
    for (const [name, value] of [
      ['calendarUrls', 'https://calendar.test/ja.ics'],
      ['closedDates', '12-31'],
      ['hoursOfOperationIds', TOKYO_HOURS],
      ['holidayHoursOfOperationId', HOLIDAY_HOURS],
    ]) {
      refused({ sites: json(SITES), [name]: value }, new RegExp(`setting sites and ${name} are both set: sites replaces the single-site settings`));
    }
  });

  it('a list holiday-fetcher would refuse at init is refused, naming the setting and the site', () => {
    const site = (extra: Record<string, unknown>) => json([{ name: 'tokyo', ...extra }]);
    const cases: [string, RegExp][] = [
      ['[{"name": "tokyo",}]', /setting sites: not JSON/],
      // What `cdk -c sites=...` leaves of a list given on several lines.
      ['[{"name": "tokyo",', /setting sites: not JSON .* as a list in the config file \(with -c, on one line: the cdk CLI drops what follows a line break\)/],
      ['{"name": "tokyo"}', /setting sites: not a JSON list of sites/],
      ['"tokyo"', /setting sites: not a JSON list of sites/],
      ['[]', /setting sites: the list of sites is empty/],
      ['[null]', /setting sites: site 1: not a JSON object/],
      ['[{"calendars": []}]', /setting sites: site 1: "name" is required/],
      [json([{ name: 'Tokyo' }]), /setting sites: site "Tokyo": the name may hold only a-z, 0-9, '-' and '_' \(1 to 64\)/],
      [json([{ name: 'tokyo east' }]), /site "tokyo east": the name may hold only/],
      [json([{ name: '' }]), /site "": the name may hold only/],
      [json([{ name: 'x'.repeat(65) }]), /the name may hold only/],
      [json([{ name: 'tokyo' }, { name: 'osaka' }, { name: 'tokyo' }]), /setting sites: site "tokyo": named twice/],
      [json([{ name: 'tokyo' }, { name: ' tokyo' }]), /site "tokyo": named twice/],
      [site({ calendar: [] }), /setting sites: site "tokyo": unknown key "calendar"; the keys are name, calendars, includeObservances/],
      [site({ calendars: ['ftp://calendar.test/ja.ics'] }), /site "tokyo": calendar "ftp:\/\/calendar.test\/ja.ics" is not an http\(s\) URL/],
      [site({ calendars: [{ url: 'ftp://x' }] }), /calendar "ftp:\/\/x" is not an http\(s\) URL/],
      [site({ calendars: 'https://calendar.test/ja.ics' }), /site "tokyo": "calendars" must be a list/],
      [site({ calendars: [{ url: 'https://x.test/a.ics', timedWindow: true }] }), /calendar "https:\/\/x.test\/a.ics": unknown key "timedWindow"/],
      [site({ calendars: [{ url: 'https://x.test/a.ics', timedWindows: 'yes' }] }), /expected a URL or \{"url"/],
      [site({ calendars: [{ href: 'https://x.test/a.ics' }] }), /expected a URL or \{"url"/],
      [site({ includeObservances: 'true' }), /"includeObservances" must be true or false/],
      [site({ closures: ['12-31'] }), /"closures" must be a string/],
      [site({ timeZone: 9 }), /"timeZone" must be a string/],
      [site({ hoursOfOperationIds: 'h' }), /"hoursOfOperationIds" must be a list/],
      [site({ hoursOfOperationIds: [`${INSTANCE_ARN}/queue/66666666-7777-8888-9999-000000000000`] }), /is not an hours of operation ID or ARN/],
      [site({ hoursOfOperationIds: ['queue/1'] }), /site "tokyo": "queue\/1" is not an hours of operation ID or ARN/],
      [
        site({ hoursOfOperationIds: [`${INSTANCE_ARN.replace('1111', '9999')}/operating-hours/${TOKYO_HOURS}`] }),
        /site "tokyo": ".*" is not an hours of operation of arn:aws:connect:/,
      ],
      [
        json([{ name: 'tokyo', hoursOfOperationIds: [TOKYO_HOURS] }, { name: 'osaka', hoursOfOperationIds: [`${INSTANCE_ARN}/operating-hours/${TOKYO_HOURS}`] }]),
        /site "osaka": hours of operation 22222222-3333-4444-5555-666666666666 is also site "tokyo"'s/,
      ],
      [site({ holidayHoursOfOperationId: [HOLIDAY_HOURS] }), /site "tokyo": "holidayHoursOfOperationId" must be a string/],
      [site({ holidayHoursOfOperationId: 'queue/1' }), /site "tokyo": "holidayHoursOfOperationId": "queue\/1" is not an hours of operation ID or ARN/],
      [site({ holidayHoursOfOperationId: QUEUE_ARN }), /"holidayHoursOfOperationId": ".*" is not an hours of operation ID or ARN/],
      [
        site({ holidayHoursOfOperationId: `${INSTANCE_ARN.replace('1111', '9999')}/operating-hours/${HOLIDAY_HOURS}` }),
        /site "tokyo": ".*" is not an hours of operation of arn:aws:connect:/,
      ],
      // Also one of the site's own children (an ID against an ARN).
      [
        site({ hoursOfOperationIds: [TOKYO_HOURS, hoursArn(HOLIDAY_HOURS)], holidayHoursOfOperationId: HOLIDAY_HOURS }),
        /site "tokyo": the holiday hours of operation 55555555-6666-7777-8888-999999999999 cannot also be one of its children \(hoursOfOperationIds\)/,
      ],
      // Shared by two sites: each run would undo the other's list.
      [
        json([{ name: 'tokyo', holidayHoursOfOperationId: HOLIDAY_HOURS }, { name: 'osaka', holidayHoursOfOperationId: hoursArn(HOLIDAY_HOURS) }]),
        /site "osaka": holiday hours of operation 55555555-6666-7777-8888-999999999999 is also site "tokyo"'s: each holiday hours of operation holds one site's list/,
      ],
      // Another site's child, in either order: a parent cannot be a child.
      [
        json([{ name: 'tokyo', hoursOfOperationIds: [HOLIDAY_HOURS] }, { name: 'osaka', holidayHoursOfOperationId: HOLIDAY_HOURS }]),
        /site "osaka": holiday hours of operation 55555555-6666-7777-8888-999999999999 is one of site "tokyo"'s hoursOfOperationIds: in Connect an hours of operation is a parent or a child, never both/,
      ],
      [
        json([{ name: 'tokyo', holidayHoursOfOperationId: HOLIDAY_HOURS }, { name: 'osaka', hoursOfOperationIds: [hoursArn(HOLIDAY_HOURS)] }]),
        /site "osaka": hours of operation 55555555-6666-7777-8888-999999999999 is site "tokyo"'s holidayHoursOfOperationId: in Connect an hours of operation is a parent or a child, never both/,
      ],
    ];
    for (const [sites, message] of cases) refused({ sites }, message);
    // The single-site setting's ARNs must be of the instance too.
    refused({ hoursOfOperationIds: `${INSTANCE_ARN.replace('1111', '9999')}/operating-hours/${TOKYO_HOURS}` }, /setting hoursOfOperationIds: .* is not an hours of operation of/);
    // What the parser takes: a calendar as a URL or an object, optional keys absent or null where it allows.
    const taken = settings({ sites: site({ calendars: ['http://a.test/a.ics', { url: 'https://b.test/b.ics' }], timeZone: null, defaultName: null }) });
    assert.deepEqual(taken.sites?.sites[0].calendars, [
      { url: 'http://a.test/a.ics', timedWindows: false },
      { url: 'https://b.test/b.ics', timedWindows: false },
    ]);
    // A blank setting is no setting.
    assert.equal(settings({ sites: '  ' }).sites, undefined);
  });

  it('a list that would take holiday-fetcher\'s environment past Lambda\'s 4 KB is refused, with the reason', () => {
    const calendars = (count: number) => json([{ name: 'tokyo', calendars: Array.from({ length: count }, (_, i) => `https://calendar.test/feeds/${String(i).padStart(4, '0')}.ics`) }]);
    // Each calendar takes 41 bytes as Lambda counts it (36 of URL, its quotes escaped, a comma).
    // The other variables take at most 467, the bucket's and topic's generated names at their
    // longest: 87 calendars fit (4072 bytes), 88 do not (4113).
    const fits = synth({ sites: calendars(87) });
    assert.equal(JSON.parse(env(fits, 'holiday-fetcher').SITES)[0].calendars.length, 87);
    refused(
      { sites: calendars(88) },
      /^setting sites \(SITES alone is 3646 bytes as Lambda counts it\): holiday-fetcher's environment would take up to 4113 bytes, over Lambda's limit of 4 KB \(4096 bytes\) for all environment variables of a function together, and the deploy would fail/,
    );
    // The same for the single-site settings.
    refused(
      { calendarUrls: Array.from({ length: 120 }, (_, i) => `https://calendar.test/feeds/${i}.ics`).join(',') },
      /setting calendarUrls, closedDates, hoursOfOperationIds, holidayHoursOfOperationId and outboundCampaignIds: holiday-fetcher's environment would take up to \d+ bytes/,
    );
  });

  it('the environment is measured as Lambda measures it: one compact JSON object, references at their longest', () => {
    assert.equal(ENVIRONMENT_LIMIT_BYTES, 4096);
    assert.equal(environmentSize({ A: 'b', CD: 'e"f' }, {}), '{"A":"b","CD":"e\\"f"}'.length);
    // Outside ASCII, the escape (6 bytes) rather than UTF-8 (3).
    assert.equal(environmentSize({ A: '休業日' }, {}), '{"A":"\\u4f11\\u696d\\u65e5"}'.length);
    const bucket = multi.stack.functions['holiday-fetcher'];
    assert.equal(environmentSize({ B: bucket.functionName }, { B: 64 }), '{"B":""}'.length + 64);
    assert.throws(() => environmentSize({ B: bucket.functionName }, {}), /B: a value known only at deployment/);
  });
});
