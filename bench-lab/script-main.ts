/**
 * The command-line shell shared by the comparison servers (echo floor, Socket.IO, relay floor): parse
 * --host/--port (and --redis, --name, --peer), start, print the contract's listening line, stop on SIGTERM/SIGINT.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

export interface ScriptServer {
  readonly port: number;
  close(): Promise<void>;
}

/** What the script was started with: --host, --port and (the cluster servers) --redis. */
export interface ScriptOptions {
  readonly host: string;
  readonly port: number;
  readonly redis?: string;
  /** The relay floor's own name and its peer's (relay-server.ts). */
  readonly name?: string;
  readonly peer?: string;
}

export async function runServerScript(start: (options: ScriptOptions) => Promise<ScriptServer>): Promise<void> {
  const { values } = parseArgs({ options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '0' }, redis: { type: 'string' }, name: { type: 'string' }, peer: { type: 'string' } }, strict: true });
  const { host, port, ...named } = values;
  const server = await start({ host, port: Number(port), ...named });
  process.stdout.write(`listening on http://${values.host}:${server.port}\n`);
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Listens on `host:port` (0: a free port) and resolves with the bound port. */
export async function listen(http: Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => resolve());
  });
  return (http.address() as AddressInfo).port;
}
