/**
 * A backend for push tests (contract §9): command webhooks, a job URL and a version URL on a free
 * port, counting every call and what it carried. Scripted: the job's answer and the version can be
 * changed by the test; `/commands/hang` never answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface JobCall {
  readonly userId: string | undefined;
  readonly authorization: string | undefined;
  readonly fence: string | undefined;
  readonly url: string;
  readonly at: number;
}

export interface PushBackend {
  readonly url: string;
  /** Calls per command name (webhooks). */
  readonly commandCalls: Map<string, number>;
  /** The last command body and authorization seen. */
  lastCommand: { body: unknown; authorization: string | undefined } | undefined;
  readonly jobCalls: JobCall[];
  versionCalls: number;
  /** What the job URL answers (JSON), per user; `default` for the rest. */
  readonly jobAnswer: Map<string, unknown>;
  /** The job URL answers this status when set (failures). */
  jobStatus: number;
  version: string;
  close(): Promise<void>;
}

export async function startPushBackend(): Promise<PushBackend> {
  const hanging = new Set<ServerResponse>();
  const backend: Omit<PushBackend, 'url' | 'close'> = {
    commandCalls: new Map(),
    lastCommand: undefined,
    jobCalls: [],
    versionCalls: 0,
    jobAnswer: new Map([['default', { sessions: 0 }]]),
    jobStatus: 200,
    version: '1.0.0',
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const auth = req.headers.authorization;
      if (url.pathname.startsWith('/commands/')) {
        const name = url.pathname.slice('/commands/'.length);
        backend.commandCalls.set(name, (backend.commandCalls.get(name) ?? 0) + 1);
        const parsed = JSON.parse(body) as unknown;
        backend.lastCommand = { body: parsed, authorization: auth };
        if (name === 'hang') {
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        }
        if (name === 'fail') {
          res.writeHead(500).end('{"error":"boom"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ got: parsed, authorization: auth }));
        return;
      }
      if (url.pathname === '/jobs/sessions') {
        const userId = req.headers['x-switchboard-user'] as string | undefined;
        backend.jobCalls.push({ userId, authorization: auth, fence: req.headers['x-switchboard-fence'] as string | undefined, url: req.url ?? '', at: Date.now() });
        if (backend.jobStatus !== 200) {
          res.writeHead(backend.jobStatus).end();
          return;
        }
        const answer = backend.jobAnswer.get(userId ?? '') ?? backend.jobAnswer.get('default');
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        return;
      }
      if (url.pathname === '/version.json') {
        backend.versionCalls++;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ version: backend.version, built: 'x' }));
        return;
      }
      if (url.pathname === '/version.txt') {
        backend.versionCalls++;
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`${backend.version}\n`);
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(backend, {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
}
