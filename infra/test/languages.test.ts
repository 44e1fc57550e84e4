// The flows' language (settings language, voice, voiceEngine; infra/flows/languages/): every
// language has a prompt for every prompt of every flow, with the same attributes in it, and the
// stack deploys flows and messages in the language chosen.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { CfnElement } from 'aws-cdk-lib';

import { Action, Flow, checkFlow, loadContracts } from '../lib/flow-contract';
import { languages, readLanguage } from '../lib/flow-variants';
import { SettingsError } from '../lib/settings';
import { EVERY_FUNCTION, ROOT, settings, synth } from './support';

const FLOWS_DIR = path.join(ROOT, 'infra', 'flows');
const FILES = fs.readdirSync(FLOWS_DIR).filter((f) => f.endsWith('.json'));
const contracts = loadContracts(path.join(ROOT, 'crates'));
const JAPANESE = /[\u3040-\u30ff\u4e00-\u9fff]/;

/** An action's spoken text, if it has one. */
function spoken(action: Action): string | undefined {
  const p = action.Parameters ?? {};
  if (typeof p.Text === 'string') return p.Text;
  if (Array.isArray(p.Messages)) return (p.Messages as { Text?: string }[])[0]?.Text;
  return undefined;
}
const attributes = (text: string) => [...text.matchAll(/\$\.[A-Za-z]+\.[A-Za-z0-9_]+/g)].map((m) => m[0]).sort();

describe('languages', () => {
  it('there are ja-JP (the default) and en-US', () => {
    assert.deepEqual(languages(FLOWS_DIR), ['en-US', 'ja-JP']);
    assert.equal(settings().language, 'ja-JP');
  });

  for (const language of languages(FLOWS_DIR).filter((l) => l !== 'ja-JP')) {
    it(`${language} has every prompt of every flow, with the same attributes, and nothing else`, () => {
      const pack = readLanguage(FLOWS_DIR, language);
      for (const file of FILES) {
        const flow: Flow = JSON.parse(fs.readFileSync(path.join(FLOWS_DIR, file), 'utf8'));
        const texts = Object.fromEntries(flow.Actions.filter((a) => spoken(a) !== undefined).map((a) => [a.Identifier, spoken(a)!]));
        const prompts = pack.prompts?.[file] ?? {};
        assert.deepEqual(Object.keys(prompts).sort(), Object.keys(texts).sort(), `${language} ${file}`);
        for (const [id, text] of Object.entries(prompts)) {
          assert.deepEqual(attributes(text), attributes(texts[id]), `${language} ${file} ${id}`);
          assert.ok(!JAPANESE.test(text), `${language} ${file} ${id}`);
        }
      }
      assert.deepEqual(Object.keys(pack.prompts ?? {}).sort(), [...FILES].sort());
    });
  }

  it('en-US: flows without a Japanese word and Joanna, the recorder told its messages; the flows still keep the contract', () => {
    const { stack, template } = synth({ ...EVERY_FUNCTION, language: 'en-US' });
    const flows = template.findResources('AWS::Connect::ContactFlow');
    assert.deepEqual(Object.keys(flows).sort(), ['CustomerQueueFlow', 'InboundFlow', 'OutboundCampaignFlow']);
    for (const [id, resource] of Object.entries(flows) as [string, any][]) {
      const content: string = resource.Properties.Content['Fn::Sub'][0];
      assert.ok(!JAPANESE.test(content), id);
      const flow: Flow = JSON.parse(content);
      const kind = id === 'CustomerQueueFlow' ? 'CUSTOMER_QUEUE' : 'CONTACT_FLOW';
      assert.deepEqual(checkFlow(flow, contracts, { kind }), [], id);
      const voices = flow.Actions.filter((a) => a.Type === 'UpdateContactTextToSpeechVoice').map((a) => [a.Parameters?.TextToSpeechVoice, a.Parameters?.TextToSpeechEngine]);
      for (const [name] of voices) assert.equal(name, 'Joanna', id);
    }
    const recorder = stack.getLogicalId(stack.functions['ivr-choice-recorder'].node.defaultChild as CfnElement);
    const messages = JSON.parse(template.toJSON().Resources[recorder].Properties.Environment.Variables.CHOICE_MESSAGES);
    assert.deepEqual(messages, readLanguage(FLOWS_DIR, 'en-US').choiceMessages);
    // Japanese: the flows' own prompts, the recorder's own messages.
    const ja = synth(EVERY_FUNCTION);
    const jaRecorder = ja.stack.getLogicalId(ja.stack.functions['ivr-choice-recorder'].node.defaultChild as CfnElement);
    assert.equal(ja.template.toJSON().Resources[jaRecorder].Properties.Environment.Variables.CHOICE_MESSAGES, undefined);
  });

  it('voice and voiceEngine replace the first voice; the fallback stays the language\'s', () => {
    const { template } = synth({ voice: 'Kazuha', voiceEngine: 'Neural' });
    const flow: Flow = JSON.parse(template.toJSON().Resources.InboundFlow.Properties.Content['Fn::Sub'][0]);
    const voice = (id: string) => flow.Actions.find((a) => a.Identifier === id)?.Parameters;
    assert.deepEqual([voice('set-voice')?.TextToSpeechVoice, voice('set-voice')?.TextToSpeechEngine], ['Kazuha', 'Neural']);
    assert.deepEqual([voice('set-fallback-voice')?.TextToSpeechVoice, voice('set-fallback-voice')?.TextToSpeechEngine], ['Mizuki', 'Standard']);
  });

  it('an unknown language, voice engine or voice is refused with the setting named', () => {
    assert.throws(() => synth({ language: 'fr-FR' }), (e: unknown) => e instanceof SettingsError && /setting language="fr-FR": no prompts for it; the languages are en-US, ja-JP/.test(e.message));
    assert.throws(() => settings({ language: 'english' }), /setting language="english"/);
    assert.throws(() => settings({ voiceEngine: 'generative' }), /setting voiceEngine="generative": expected Neural or Standard/);
    assert.throws(() => settings({ voice: 'Joanna; drop' }), /setting voice=/);
  });
});
