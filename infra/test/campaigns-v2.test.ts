// Amazon Connect Outbound Campaigns v2 in the stack: campaign-dialer's `campaigns-v2` engine
// (`dialerEngine`, `outboundCampaignId`) and holiday-fetcher's restricted-period sync
// (`outboundCampaignIds`, per site in `sites`): the environment each function reads and the
// exact grants on the campaigns (docs/campaigns.md, "Outbound Campaigns v2 engine";
// docs/holidays.md, "Campaign restricted periods").

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { CfnElement } from 'aws-cdk-lib';

import { SettingsError } from '../lib/settings';
import { INSTANCE_ARN, QUEUE_ARN, settings, synth } from './support';

const CAMPAIGN = 'aaaaaaaa-1111-4222-8333-444444444444';
const OTHER = 'bbbbbbbb-1111-4222-8333-444444444444';
const campaignArn = (id: string) => `arn:aws:connect-campaigns:ap-northeast-1:123456789012:campaign/${id}`;

type Synth = ReturnType<typeof synth>;

function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

function functionResource(from: Synth, name: string): Record<string, any> {
  return from.template.toJSON().Resources[from.stack.getLogicalId(from.stack.functions[name].node.defaultChild as CfnElement)];
}

function env(from: Synth, name: string): Record<string, any> {
  return functionResource(from, name).Properties.Environment.Variables;
}

/** Every statement of the inline policies on a function's role. */
function statements(from: Synth, name: string): Record<string, any>[] {
  const role = functionResource(from, name).Properties.Role['Fn::GetAtt'][0];
  return Object.values(from.template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** The actions a function may take, each once, sorted. */
function actions(from: Synth, name: string): string[] {
  return [...new Set(statements(from, name).flatMap((s) => asList(s.Action as string | string[])))].sort();
}

/** A resource as text: an `Fn::Join` joined, the stack's partition (`AWS::Partition`) as `aws`. */
function resourceText(value: any): string {
  if (typeof value === 'string') return value;
  if (value && Array.isArray(value['Fn::Join'])) {
    const [separator, parts] = value['Fn::Join'];
    return parts.map((p: any) => (p?.Ref === 'AWS::Partition' ? 'aws' : resourceText(p))).join(separator);
  }
  return JSON.stringify(value);
}

/** A function's statements on Outbound Campaigns v2, as [actions, resources], both sorted. */
function campaignGrants(from: Synth, name: string): [string[], string[]][] {
  return statements(from, name)
    .filter((s) => asList(s.Action as string | string[]).some((a) => a.startsWith('connect-campaigns:')))
    .map((s) => [asList(s.Action as string | string[]).sort(), asList(s.Resource).map(resourceText).sort()]);
}

const refused = (context: Record<string, string>, message: RegExp) =>
  assert.throws(() => settings(context), (e: unknown) => e instanceof SettingsError && message.test(e.message), `${JSON.stringify(context)} -> ${message}`);

const DEFAULT = synth();

describe('campaign-dialer with dialerEngine=campaigns-v2', () => {
  const v2 = synth({ dialerEngine: 'campaigns-v2', outboundCampaignId: CAMPAIGN });

  it('is told the engine and the campaign, besides everything the direct engine reads', () => {
    const dialer = env(v2, 'campaign-dialer');
    assert.deepEqual([dialer.ENGINE, dialer.OUTBOUND_CAMPAIGN_ID], ['campaigns-v2', CAMPAIGN]);
    // The rows, the holiday list, the calling rules and the flow stay: the dialer still checks
    // every row before it hands it over, and the outbound flow records the answers.
    assert.deepEqual(Object.keys(dialer).sort(), [...Object.keys(env(DEFAULT, 'campaign-dialer')), 'ENGINE', 'OUTBOUND_CAMPAIGN_ID'].sort());
    assert.equal(dialer.QUEUE_ID, QUEUE_ARN);
    assert.deepEqual(dialer.CONTACT_FLOW_ID, { 'Fn::GetAtt': ['OutboundCampaignFlow', 'ContactFlowArn'] });
    // REQUEST_EXPIRY_MINUTES is left at the function's default (60).
    assert.equal(dialer.REQUEST_EXPIRY_MINUTES, undefined);
  });

  it('may hand requests to exactly that campaign, and places no call itself', () => {
    assert.deepEqual(campaignGrants(v2, 'campaign-dialer'), [[['connect-campaigns:PutOutboundRequestBatch'], [campaignArn(CAMPAIGN)]]]);
    const granted = actions(v2, 'campaign-dialer');
    assert.ok(!granted.includes('connect:StartOutboundVoiceContact'), granted.join(', '));
    assert.ok(!JSON.stringify(statements(v2, 'campaign-dialer')).includes('"*"'), 'no grant on every resource');
    // Everything else is the direct engine's: the table, the do-not-call list, the holiday list,
    // DescribeContact and the queue's metrics.
    assert.deepEqual(
      granted,
      actions(DEFAULT, 'campaign-dialer')
        .filter((a) => a !== 'connect:StartOutboundVoiceContact')
        .concat('connect-campaigns:PutOutboundRequestBatch')
        .sort(),
    );
  });

  it('the default engine is unchanged: StartOutboundVoiceContact, no campaign, no ENGINE', () => {
    for (const from of [DEFAULT, synth({ dialerEngine: 'direct' })]) {
      const dialer = env(from, 'campaign-dialer');
      assert.equal(dialer.ENGINE, undefined);
      assert.equal(dialer.OUTBOUND_CAMPAIGN_ID, undefined);
      assert.ok(actions(from, 'campaign-dialer').includes('connect:StartOutboundVoiceContact'));
      assert.deepEqual(campaignGrants(from, 'campaign-dialer'), []);
    }
    // An outboundCampaignId without the engine is not used: no grant, no variable.
    const unused = synth({ outboundCampaignId: CAMPAIGN });
    assert.equal(env(unused, 'campaign-dialer').OUTBOUND_CAMPAIGN_ID, undefined);
    assert.deepEqual(campaignGrants(unused, 'campaign-dialer'), []);
  });

  it('a campaign ARN is granted as given', () => {
    const arn = campaignArn(OTHER);
    const byArn = synth({ dialerEngine: 'campaigns-v2', outboundCampaignId: arn });
    assert.equal(env(byArn, 'campaign-dialer').OUTBOUND_CAMPAIGN_ID, arn);
    assert.deepEqual(campaignGrants(byArn, 'campaign-dialer'), [[['connect-campaigns:PutOutboundRequestBatch'], [arn]]]);
  });

  it('refuses campaigns-v2 without outboundCampaignId, an unknown engine and a malformed campaign, naming the setting', () => {
    refused({ dialerEngine: 'campaigns-v2' }, /outboundCampaignId is required with dialerEngine=campaigns-v2/);
    refused({ dialerEngine: 'pinpoint' }, /dialerEngine="pinpoint": expected direct or campaigns-v2/);
    refused({ dialerEngine: 'campaigns-v2', outboundCampaignId: 'spring campaign' }, /outboundCampaignId/);
    assert.equal(settings().dialerEngine, 'direct');
  });
});

describe("holiday-fetcher keeps campaigns' restricted periods in step", () => {
  const RESTRICTED = ['connect-campaigns:DescribeCampaign', 'connect-campaigns:UpdateCampaignCommunicationTime'];

  it('outboundCampaignIds: OUTBOUND_CAMPAIGN_IDS, and DescribeCampaign and UpdateCampaignCommunicationTime on exactly those campaigns', () => {
    const single = synth({ outboundCampaignIds: `${CAMPAIGN}, ${OTHER},${CAMPAIGN}`, overrideHorizonDays: '90' });
    const fetcher = env(single, 'holiday-fetcher');
    assert.equal(fetcher.OUTBOUND_CAMPAIGN_IDS, `${CAMPAIGN},${OTHER}`);
    // The horizon reaches the restricted periods even without an override sync; the instance does not.
    assert.equal(fetcher.OVERRIDE_HORIZON_DAYS, '90');
    assert.equal(fetcher.CONNECT_INSTANCE_ID, undefined);
    assert.deepEqual(campaignGrants(single, 'holiday-fetcher'), [[RESTRICTED, [campaignArn(CAMPAIGN), campaignArn(OTHER)].sort()]]);
    // No Connect permission comes with it, and the dialer gets none of it.
    assert.ok(!actions(single, 'holiday-fetcher').some((a) => a.startsWith('connect:')));
    assert.deepEqual(campaignGrants(single, 'campaign-dialer'), []);
  });

  it('none named: no variable and no permission', () => {
    assert.equal(env(DEFAULT, 'holiday-fetcher').OUTBOUND_CAMPAIGN_IDS, undefined);
    assert.deepEqual(campaignGrants(DEFAULT, 'holiday-fetcher'), []);
    assert.equal(env(synth({ overrideHorizonDays: '90' }), 'holiday-fetcher').OVERRIDE_HORIZON_DAYS, undefined, 'a horizon with nothing to sync');
  });

  it('per site in sites: passed through SITES, every site\'s campaigns granted, no OUTBOUND_CAMPAIGN_IDS', () => {
    const sites = [
      { name: 'tokyo', outboundCampaignIds: [CAMPAIGN] },
      { name: 'osaka', outboundCampaignIds: [` ${OTHER} `] },
      { name: 'kyoto' },
    ];
    const multi = synth({ sites: JSON.stringify(sites) });
    const fetcher = env(multi, 'holiday-fetcher');
    assert.equal(fetcher.SITES, JSON.stringify(sites));
    assert.equal(fetcher.OUTBOUND_CAMPAIGN_IDS, undefined);
    assert.deepEqual(campaignGrants(multi, 'holiday-fetcher'), [[RESTRICTED, [campaignArn(CAMPAIGN), campaignArn(OTHER)].sort()]]);
    assert.deepEqual(
      settings({ sites: JSON.stringify(sites) }).sites?.sites.map((site) => site.outboundCampaignIds),
      [[CAMPAIGN], [OTHER], []],
      'trimmed, as holiday-fetcher reads them',
    );
  });

  it('refuses outboundCampaignIds with sites, a campaign two sites share, and a malformed ID, naming the setting', () => {
    refused(
      { sites: JSON.stringify([{ name: 'tokyo' }]), outboundCampaignIds: CAMPAIGN },
      /sites and outboundCampaignIds are both set: give each site its own outboundCampaignIds/,
    );
    refused(
      { sites: JSON.stringify([{ name: 'tokyo', outboundCampaignIds: [CAMPAIGN] }, { name: 'osaka', outboundCampaignIds: [CAMPAIGN] }]) },
      /campaign .* is also site "tokyo"'s/,
    );
    refused({ sites: JSON.stringify([{ name: 'tokyo', outboundCampaignIds: ['a campaign'] }]) }, /is not an Outbound Campaigns v2 campaign ID/);
    refused({ outboundCampaignIds: 'a campaign' }, /outboundCampaignIds/);
  });

  it('the engine and the sync together: each function its own grant', () => {
    const both = synth({ dialerEngine: 'campaigns-v2', outboundCampaignId: CAMPAIGN, outboundCampaignIds: CAMPAIGN });
    assert.deepEqual(campaignGrants(both, 'campaign-dialer'), [[['connect-campaigns:PutOutboundRequestBatch'], [campaignArn(CAMPAIGN)]]]);
    assert.deepEqual(campaignGrants(both, 'holiday-fetcher'), [[RESTRICTED, [campaignArn(CAMPAIGN)]]]);
    assert.equal(env(both, 'holiday-fetcher').CONNECT_INSTANCE_ID, undefined);
    assert.ok(INSTANCE_ARN.startsWith('arn:aws:connect:ap-northeast-1:123456789012:'), 'the campaigns are in the instance\'s Region and account');
  });
});
