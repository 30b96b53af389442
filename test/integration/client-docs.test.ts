/**
 * docs/client.md's Node example, run as written (a file of the package, so that
 * `switchboard/client` resolves to the built SDK) against a gateway with sessions.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docExample, repoRoot } from '../support/doc-examples.js';
import { gatewayScope } from '../support/gateway.js';
import { startResumeGateway } from '../support/resume.js';

const scope = gatewayScope();

describe('docs/client.md', () => {
  it('the Node example sends, is accepted, and the other client receives', async () => {
    const g = await startResumeGateway(scope);
    const dir = mkdtempSync(join(repoRoot, '.example-'));
    try {
      const file = join(dir, 'node-example.mjs');
      writeFileSync(file, docExample('client.md', 'node'));
      const child = spawn(process.execPath, [file], { env: { ...process.env, SWITCHBOARD_URL: g.url }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.once('exit', (c) => (clearTimeout(timer), resolve(c)));
      });
      expect(out).toContain('bob got {"text":"hello"} from demo-1');
      expect(out).toMatch(/accepted as \S+/);
      expect(code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
