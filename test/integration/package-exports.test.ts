// The package's public entry points, as an embedding user imports them (built output, by package name).
import { describe, expect, it } from 'vitest';

describe('package exports', () => {
  it('"switchboard" embeds a working gateway', async () => {
    const sb = await import('switchboard');
    const config = sb.loadConfig('serve', sb.serveOptions, { argv: ['--port', '0'], env: {} });
    const gateway = sb.createGateway(config, { bus: new sb.MemoryBus(), presence: new sb.MemoryPresence(), lease: new sb.MemoryLease(), store: new sb.MemoryMessageStore() }, sb.silentLogger);
    const { port } = await gateway.start();
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).toBe(200);
    await gateway.stop();
  });

  it('"switchboard/client" exposes the SDK', async () => {
    const client = await import('switchboard/client');
    expect(typeof client.createClient).toBe('function');
  });

  it('"switchboard/postgres" and "switchboard/sqlite" expose the stores', async () => {
    const { PostgresMessageStore } = await import('switchboard/postgres');
    const { SqliteMessageStore } = await import('switchboard/sqlite');
    expect(new PostgresMessageStore({ connectionString: 'postgres://127.0.0.1:1/x' }).name).toBe('postgres');
    expect(new SqliteMessageStore({ path: ':memory:' }).name).toBe('sqlite');
  });
});
