// The synthesized stack: every resource, permission and policy the suite relies on.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';

import { FUNCTIONS } from '../lib/functions';
import { SettingsError } from '../lib/settings';
import { INSTANCE_ARN, QUEUE_ARN, settings, synth } from './support';

const CONTACT_FLOW_FUNCTIONS = ['holiday-check', 'last-agent-lookup', 'agent-picker', 'assignment-recorder', 'ivr-choice-recorder'];
const LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

const { stack, template } = synth({ alertEmail: 'ops@example.com', dialerSchedule: 'rate(5 minutes)', closedDates: '12-29..01-03' });

function logicalId(name: string): string {
  return stack.getLogicalId(stack.functions[name].node.defaultChild as CfnElement);
}

function resource(id: string): { Type: string; Properties: Record<string, any>; DependsOn?: string[] } {
  return template.toJSON().Resources[id];
}

function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

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

  it('both tables are keyed by phoneNumber with point-in-time recovery; assignments expire', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    assert.equal(tables.length, 2);
    for (const table of tables as any[]) {
      assert.deepEqual(table.Properties.KeySchema, [{ AttributeName: 'phoneNumber', KeyType: 'HASH' }]);
      assert.deepEqual(table.Properties.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
      assert.equal(table.Properties.BillingMode, 'PAY_PER_REQUEST');
      assert.equal(table.DeletionPolicy, 'Retain');
    }
    const ttl = tables.map((t: any) => t.Properties.TimeToLiveSpecification).filter(Boolean);
    assert.deepEqual(ttl, [{ AttributeName: 'expiresAt', Enabled: true }]);
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
      assert.equal(fn.MemorySize, 128, spec.name);
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
    assert.deepEqual(Object.keys(env('holiday-check')).sort(), ['ALERT_TOPIC_ARN', 'HOLIDAY_BUCKET', 'HOLIDAY_KEY', 'TIME_ZONE']);
    assert.equal(env('last-agent-lookup').CONNECT_INSTANCE_ID, INSTANCE_ARN);
    assert.deepEqual(Object.keys(env('assignment-recorder')), ['ASSIGNMENTS_TABLE']);
    assert.deepEqual(env('ivr-choice-recorder').CAMPAIGN, 'campaign');
    const dialer = env('campaign-dialer');
    assert.equal(dialer.QUEUE_ID, QUEUE_ARN);
    assert.deepEqual(dialer.CONTACT_FLOW_ID, { 'Fn::GetAtt': ['OutboundCampaignFlow', 'ContactFlowArn'] });
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
    'last-agent-lookup': ['connect:GetCurrentUserData', 'connect:ListUsers', 'dynamodb:DescribeTable', 'dynamodb:GetItem'],
    'agent-picker': ['connect:GetCurrentUserData', 'connect:ListUsers'],
    'assignment-recorder': ['dynamodb:DescribeTable', 'dynamodb:PutItem'],
    'ivr-choice-recorder': ['dynamodb:DescribeTable', 'dynamodb:UpdateItem'],
    'campaign-dialer': [
      'connect:DescribeContact', 'connect:GetCurrentMetricData', 'connect:StartOutboundVoiceContact',
      'dynamodb:Scan', 'dynamodb:UpdateItem',
    ],
  };

  for (const [name, actions] of Object.entries(expected)) {
    it(`${name} may do exactly what it does`, () => {
      const granted = statements(name).flatMap((s) => asList(s.Action));
      assert.deepEqual([...new Set(granted)].sort(), [...LOGS, ...actions].sort());
      for (const statement of statements(name)) {
        assert.equal(statement.Effect, 'Allow');
        assert.ok(!asList(statement.Resource).includes('*'), `${name}: ${JSON.stringify(statement)}`);
      }
    });
  }

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
    assert.deepEqual(asList(granted[0].Resource).sort(), [INSTANCE_ARN, `${INSTANCE_ARN}/*`].sort());
    assert.equal(resource(logicalId('holiday-fetcher')).Properties.Environment.Variables.HOURS_OF_OPERATION_IDS, undefined);
    assert.throws(() => settings({ hoursOfOperationIds: 'queue/1' }), /hoursOfOperationIds/);
    assert.throws(() => settings({ overrideHorizonDays: '5000' }), /overrideHorizonDays/);
  });

  it('Connect calls are scoped to the one instance', () => {
    for (const name of ['last-agent-lookup', 'agent-picker', 'campaign-dialer']) {
      const connect = statements(name).filter((s) => asList(s.Action).some((a: string) => a.startsWith('connect:')));
      for (const statement of connect) {
        assert.deepEqual(asList(statement.Resource).sort(), [INSTANCE_ARN, `${INSTANCE_ARN}/*`].sort(), name);
      }
    }
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
  it('each contact-flow function is associated with the instance and invocable by it alone', () => {
    for (const spec of FUNCTIONS) {
      const arn = { 'Fn::GetAtt': [logicalId(spec.name), 'Arn'] };
      const associations = template.findResources('AWS::Connect::IntegrationAssociation', {
        Properties: { InstanceId: INSTANCE_ARN, IntegrationType: 'LAMBDA_FUNCTION', IntegrationArn: arn },
      });
      const permissions = template.findResources('AWS::Lambda::Permission', {
        Properties: {
          Principal: 'connect.amazonaws.com',
          SourceArn: INSTANCE_ARN,
          SourceAccount: '123456789012',
          FunctionName: arn,
          Action: 'lambda:InvokeFunction',
        },
      });
      const expected = CONTACT_FLOW_FUNCTIONS.includes(spec.name) ? 1 : 0;
      assert.equal(Object.keys(associations).length, expected, spec.name);
      assert.equal(Object.keys(permissions).length, expected, spec.name);
    }
  });

  it('the two flows are created with function ARNs filled in, after the associations', () => {
    const flows = template.findResources('AWS::Connect::ContactFlow');
    assert.deepEqual(Object.keys(flows).sort(), ['InboundFlow', 'OutboundCampaignFlow']);
    for (const [id, flow] of Object.entries(flows) as [string, any][]) {
      assert.equal(flow.Properties.Type, 'CONTACT_FLOW');
      assert.equal(flow.Properties.InstanceArn, INSTANCE_ARN);
      const [content, variables] = flow.Properties.Content['Fn::Sub'];
      JSON.parse(content);
      const used = [...content.matchAll(/\$\{([^}]*)\}/g)].map((m: RegExpMatchArray) => m[1]);
      assert.deepEqual(Object.keys(variables).sort(), [...new Set(used)].sort(), id);
      assert.equal(variables.QueueArn, QUEUE_ARN);
      const associations = Object.keys(template.findResources('AWS::Connect::IntegrationAssociation'));
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
    synth().template.resourceCountIs('AWS::Events::Rule', 1);
  });
});

describe('alarms', () => {
  it('errors and throttles of every function alert the topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as any[];
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
});

describe('settings', () => {
  it('defaults', () => {
    const s = settings();
    assert.equal(s.holidaySchedule, 'cron(0 23 * * ? *)');
    assert.equal(s.timeZone, 'Asia/Tokyo');
    assert.equal(s.reserveDialerConcurrency, true);
    assert.deepEqual(s.calendarUrls, []);
    assert.equal(s.dialerSchedule, undefined);
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
    ];
    for (const [context, message] of cases) {
      assert.throws(() => settings(context), (e: unknown) => e instanceof SettingsError && message.test(e.message));
    }
  });
});
