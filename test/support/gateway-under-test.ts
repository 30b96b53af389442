/**
 * One way to start "a gateway" for the shared protocol suites: in process (integration) or the
 * built CLI as a child process (e2e). Overrides use the serve option keys and become flags for
 * the CLI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flagName } from '../../src/config/option.js';
import type { ServeConfig } from '../../src/config/options.js';
import { startCli } from './cli.js';

export interface GatewayUnderTest {
  readonly url: string;
  readonly httpUrl: string;
  stop(): Promise<void>;
}

export type StartGateway = (overrides?: Partial<ServeConfig>) => Promise<GatewayUnderTest>;

/** Spawns `switchboard serve` on a free port with a fresh SQLite data dir. */
export const startCliGateway: StartGateway = async (overrides = {}) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-cli-'));
  const args = ['serve', '--port', '0', '--data-dir', dataDir, '--log-level', 'warn'];
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) && key !== 'clientApps' ? (value as string[]).join(',') : typeof value === 'object' ? JSON.stringify(value) : String(value);
    args.push(`--${flagName(key)}`, text);
  }
  const cli = await startCli(args);
  return {
    url: cli.wsUrl,
    httpUrl: cli.httpUrl,
    stop: async () => {
      cli.proc.kill('SIGKILL');
      await cli.exited();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};
