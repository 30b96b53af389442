// docs/api.md as written: its YAML block is the config of a real `switchboard serve`, and every
// bash block runs through bash against it (port substituted); a block followed by a json block
// must answer JSON with the same keys.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, startCli } from '../support/cli.js';

const run = promisify(execFile);
const doc = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
const blocks = [...doc.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, text: m[2]! }));
const dir = mkdtempSync(join(tmpdir(), 'sb-api-docs-'));

afterAll(async () => {
  await killAll();
  rmSync(dir, { recursive: true, force: true });
});

const keysOf = (v: unknown): string[] => (typeof v === 'object' && v !== null ? Object.keys(v).sort() : []);

describe('docs/api.md', () => {
  it('every curl example works as written against a real serve', async () => {
    const yaml = blocks.find((b) => b.lang === 'yaml');
    expect(yaml).toBeDefined();
    writeFileSync(join(dir, 'switchboard.yaml'), yaml!.text);
    const s = await startCli(['serve', '--port', '0', '--data-dir', dir, '--config', join(dir, 'switchboard.yaml'), '--node-id', 'node1']);
    let ran = 0;
    for (const [i, block] of blocks.entries()) {
      if (block.lang !== 'bash') continue;
      const script = block.text.replaceAll('127.0.0.1:8080', `127.0.0.1:${s.port}`);
      const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { timeout: 10_000 });
      ran++;
      const next = blocks[i + 1];
      if (next?.lang === 'json') {
        const answer = JSON.parse(stdout) as unknown;
        const documented = JSON.parse(next.text) as unknown;
        expect(keysOf(answer), script).toEqual(keysOf(documented));
        if ('ok' in (documented as object) || 'closed' in (documented as object) || 'online' in (documented as object)) expect(answer).toEqual(documented);
      }
      if (script.includes('not-the-key')) expect(stdout.trim()).toBe('401');
    }
    expect(ran).toBeGreaterThanOrEqual(6);
  }, 30_000);
});
