// Runs every fenced `sh` and `js` example of README.md and docs/*.md against a real `switchboard
// serve` started here, so the docs cannot drift from the code.
//
// How an example is run:
// - `js`: as an ES module (`node --input-type=module`) from the repository root, where `ws`
//   resolves; it must exit 0 by itself.
// - `sh`: line by line (`\` continues a line, `#` starts a comment), each through `sh -c` in a
//   fresh temp directory, with `switchboard` (and `npx switchboard`) running the built CLI. A
//   `switchboard serve` or `switchboard proxy` line is started with `--port 0`, must print its
//   listening line, and gets SIGTERM at the end of its block (exit 0 expected). A `switchboard
//   bench` line runs with `--duration 1` appended. `npm run build` is the build `npm test` made
//   first. Any other line must exit 0.
// - In every example, `127.0.0.1:8080` and `localhost:8080` mean the server started here, and
//   `SWITCHBOARD_URL` points bench at it.
// An example that cannot run here carries `<!-- docs-test: skip (reason) -->` on a line of its
// own just before its fence; the reason is required and shows in the test name.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, killAll, startCli, type CliProcess } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SKIP = /^<!-- docs-test: skip \((.+)\) -->$/;
const RUNNABLE = new Set(['sh', 'js']);

interface Example {
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly code: string;
  readonly skip?: string;
}

/** Every fenced block of a Markdown text whose language is sh or js. */
export function extractExamples(file: string, text: string): Example[] {
  const lines = text.split('\n');
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (open === null) continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.startsWith('```')) end++;
    const lang = open[1] ?? '';
    if (RUNNABLE.has(lang)) {
      const marker = SKIP.exec(lines[start - 1]?.trim() ?? '');
      examples.push({ file, line: start + 1, lang, code: lines.slice(start + 1, end).join('\n'), ...(marker?.[1] === undefined ? {} : { skip: marker[1] }) });
    }
    i = end;
  }
  return examples;
}

const files = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const examples = files.flatMap((file) => extractExamples(file, readFileSync(join(ROOT, file), 'utf8')));

let server: CliProcess;
let bin: string;
const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sb-docs-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  server = await startCli(['serve', '--port', '0', '--data-dir', temp(), '--log-level', 'warn']);
  bin = temp();
  writeFileSync(join(bin, 'switchboard'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, 'switchboard'), 0o755);
});
afterAll(async () => {
  await killAll();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const local = (code: string): string => code.replace(/(127\.0\.0\.1|localhost):8080\b/g, `127.0.0.1:${server.port}`);

function env(): NodeJS.ProcessEnv {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SWITCHBOARD_')));
  return { ...clean, PATH: `${bin}:${process.env.PATH ?? ''}`, SWITCHBOARD_URL: `ws://127.0.0.1:${server.port}/ws` };
}

interface Run {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], options: { cwd: string; input?: string; timeoutMs: number }): Promise<Run> {
  const child = spawn(command, args, { cwd: options.cwd, env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  child.stdin.end(options.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

/** The logical lines of a shell example: continuations joined, comments and blank lines dropped. */
function shellLines(code: string): string[] {
  return code
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l !== '')
    .map((l) => l.replace(/\bnpx switchboard\b/g, 'switchboard'));
}

async function runShell(code: string): Promise<void> {
  const cwd = temp();
  const background: { line: string; proc: ReturnType<typeof spawn>; exited: Promise<number | null> }[] = [];
  try {
    for (const line of shellLines(local(code))) {
      if (line === 'npm run build') {
        expect(existsSync(CLI), 'npm test builds before it tests').toBe(true);
        continue;
      }
      if (/^switchboard (serve|proxy)\b/.test(line)) {
        const withPort = /--port \d+/.test(line) ? line.replace(/--port \d+/, '--port 0') : `${line} --port 0`;
        const proc = spawn('sh', ['-c', `exec ${withPort}`], { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
        const exited = new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
        let out = '';
        const listening = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${line}: no listening line within 15 s\n${out}`)), 15_000);
          const seen = (d: Buffer): void => {
            out += d.toString();
            if (out.includes('listening on http://')) {
              clearTimeout(timer);
              resolve();
            }
          };
          proc.stdout.on('data', seen);
          proc.stderr.on('data', seen);
          void exited.then((c) => reject(new Error(`${line}: exited ${c} before listening\n${out}`)));
        });
        background.push({ line, proc, exited });
        await listening;
        continue;
      }
      const full = /^switchboard bench\b/.test(line) ? `${line} --duration 1` : line;
      const r = await run('sh', ['-c', full], { cwd, timeoutMs: 60_000 });
      expect(r.code, `${full}\n${r.output}`).toBe(0);
    }
  } finally {
    for (const b of background) {
      b.proc.kill('SIGTERM');
      expect(await b.exited, `${b.line}: exit code after SIGTERM`).toBe(0);
    }
  }
}

describe('docs examples', () => {
  it('finds runnable examples, and every skip gives its reason', () => {
    expect(examples.filter((e) => e.skip === undefined).length).toBeGreaterThan(3);
    for (const e of examples) if (e.skip !== undefined) expect(e.skip.trim().length, `${e.file}:${e.line}`).toBeGreaterThan(5);
  });

  for (const example of examples) {
    const name = `${example.file}:${example.line} (${example.lang})`;
    if (example.skip !== undefined) {
      it.skip(`${name} — skipped: ${example.skip}`, () => undefined);
      continue;
    }
    it(name, async () => {
      if (example.lang === 'js') {
        const r = await run(process.execPath, ['--input-type=module'], { cwd: ROOT, input: local(example.code), timeoutMs: 20_000 });
        expect(r.code, r.output).toBe(0);
      } else {
        await runShell(example.code);
      }
    });
  }
});
