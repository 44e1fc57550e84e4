// The README and docs/ against what they describe: the README's function table is the crates'
// descriptions and FUNCTIONS (lib/functions.ts), every setting of the config file and every
// environment variable a function reads is documented, and every relative link resolves.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { CONFIG_KEYS } from '../lib/config';
import { FUNCTIONS, crateDescription } from '../lib/functions';
import { ROOT } from './support';

const README = 'README.md';
const DOCS = fs
  .readdirSync(path.join(ROOT, 'docs'))
  .filter((f) => f.endsWith('.md'))
  .map((f) => `docs/${f}`);
/** The pages whose links are checked: the README, docs/ and the flows' README. */
const PAGES = [README, ...DOCS, 'infra/flows/README.md'];

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

/** A page without its fenced code blocks and inline code (neither holds links or headings). */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '``');
}

/** The cells of a markdown table row. */
function cells(row: string): string[] {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
}

/** The rows (as cells) of the table whose header row is `header`, in `text`. */
function table(text: string, header: string): string[][] {
  const start = text.indexOf(header);
  assert.ok(start >= 0, `a table headed ${header}`);
  const lines = text.slice(start).split('\n');
  const rows: string[][] = [];
  for (const line of lines.slice(2)) {
    if (!line.startsWith('|')) break;
    rows.push(cells(line));
  }
  return rows;
}

/** The anchor GitHub gives a heading (github-slugger): lower case, punctuation dropped, spaces to '-'. */
function slug(heading: string): string {
  const text = heading.replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of a markdown page: its headings' slugs, numbered as GitHub numbers repeats. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  const text = read(file).replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const m of text.matchAll(/^#{1,6} +(.+?) *#*$/gm)) {
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    found.add(n === 0 ? base : `${base}-${n}`);
  }
  return found;
}

describe("the README's function table", () => {
  const rows = table(read(README), '| function | trigger | job |');

  it('has one row per function of FUNCTIONS, in order, with its trigger and its crate description', () => {
    const given = rows.map(([name, trigger, job]) => ({ name: name.replace(/^\[([^\]]+)\]\(.*\)$/, '$1'), trigger, job }));
    const expected = FUNCTIONS.map((f) => ({ name: f.name, trigger: f.trigger, job: f.description }));
    assert.deepEqual(given, expected);
  });

  it('takes each job from the crate, the description the stack deploys', () => {
    for (const f of FUNCTIONS) {
      assert.equal(f.description, crateDescription(f.name), f.name);
      assert.ok(!f.description.includes('|'), `${f.name}: a description holds no table separator`);
    }
  });

  it("links each function to the page that documents it", () => {
    for (const [name] of rows) {
      const link = /^\[([a-z-]+)\]\((docs\/[a-z-]+\.md)#([a-z-]+)\)$/.exec(name);
      assert.ok(link, name);
      assert.equal(link[3], link[1], `${name}: the anchor is the function's section`);
    }
  });
});

describe('docs/deploy.md', () => {
  it('documents every key of the config file in its settings table, and no other', () => {
    const rows = table(read('docs/deploy.md'), '| key | default | meaning |');
    const keys = rows.map(([key]) => key.replace(/`/g, ''));
    assert.deepEqual([...keys].sort(), [...CONFIG_KEYS].sort());
  });

  it('the example config file uses only documented keys', () => {
    const example = JSON.parse(read('infra/config.example.json'));
    for (const key of Object.keys(example).filter((k) => !k.startsWith('//'))) {
      assert.ok((CONFIG_KEYS as readonly string[]).includes(key), key);
    }
  });
});

/**
 * The environment variables the functions read: the names passed to `Env`'s readers (or held in
 * a `const NAME: &str`) in the configuration code of every function and of connect-aws, tests
 * left out, and the ones the bootstrap reads itself.
 */
function variablesRead(): string[] {
  const crates = path.join(ROOT, 'crates');
  const sources = [
    ...fs
      .readdirSync(crates)
      .map((c) => path.join(crates, c, 'src', 'config.rs'))
      .filter((f) => fs.existsSync(f)),
    path.join(crates, 'connect-aws', 'src', 'settings.rs'),
    path.join(crates, 'connect-aws', 'src', 'bootstrap.rs'),
  ];
  const names = new Set<string>();
  for (const file of sources) {
    const code = fs.readFileSync(file, 'utf8').split('#[cfg(test)]')[0];
    const patterns = [
      /\.(?:required|optional|parse_or|list|flag)(?:::<[^>]+>)?\(\s*"([A-Z][A-Z0-9_]+)"/g,
      /const \w+: &str = "([A-Z][A-Z0-9_]+)"/g,
      /\(&?env, "([A-Z][A-Z0-9_]+)"/g,
      /env::var\("([A-Z][A-Z0-9_]+)"\)/g,
    ];
    for (const pattern of patterns) for (const m of code.matchAll(pattern)) names.add(m[1]);
  }
  return [...names].sort();
}

describe('the environment variables', () => {
  it('every variable a function reads is a row of a table in docs/', () => {
    const names = variablesRead();
    assert.ok(names.length >= 40, names.join(', '));
    const documented = new Set<string>();
    for (const file of DOCS) {
      for (const m of read(file).matchAll(/^\| `([A-Z][A-Z0-9_<>]+)` \|/gm)) documented.add(m[1]);
    }
    const missing = names.filter((n) => !documented.has(n));
    assert.deepEqual(missing, [], `not documented in a table of docs/: ${missing.join(', ')}`);
  });

  it("every variable of a function's lambda.env is documented on a page", () => {
    const documented = DOCS.map(read).join('\n');
    for (const f of FUNCTIONS) {
      const env = read(`events/${f.name}/lambda.env`);
      for (const m of env.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)) {
        assert.ok(documented.includes(`| \`${m[1]}\` |`), `${f.name}: ${m[1]}`);
      }
    }
  });
});

describe('the links of the README and docs/', () => {
  for (const page of PAGES) {
    it(`${page}: every relative link names a file that exists, and an anchor it has`, () => {
      const dir = path.dirname(path.join(ROOT, page));
      const broken: string[] = [];
      for (const m of prose(read(page)).matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1];
        if (/^[a-z]+:/.test(target)) continue;
        const [file, anchor] = target.split('#', 2);
        const resolved = file === '' ? path.join(ROOT, page) : path.resolve(dir, decodeURIComponent(file));
        if (!fs.existsSync(resolved)) {
          broken.push(`${target}: no such file`);
          continue;
        }
        if (anchor !== undefined && resolved.endsWith('.md') && !anchors(path.relative(ROOT, resolved)).has(anchor)) {
          broken.push(`${target}: no such anchor`);
        }
      }
      assert.deepEqual(broken, []);
    });
  }

  it('the README stays short: the detail lives in docs/', () => {
    assert.ok(read(README).split('\n').length <= 260);
  });
});
