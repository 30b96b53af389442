// The package's public entry points, as an embedding user imports them (built output, by package name).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

// The drivers are CommonJS packages: importing one from ESM goes through the CommonJS loader, so it
// shows in require.cache. A fresh process imports one entry point and lists the drivers it loaded.
const probe = `
import { createRequire } from 'node:module';
await import(process.argv[1]);
const cache = createRequire(import.meta.url).cache;
const drivers = Object.keys(cache).map((file) => /node_modules[\\\\/](better-sqlite3|pg|ioredis)[\\\\/]/.exec(file)?.[1]).filter(Boolean);
process.stdout.write(JSON.stringify([...new Set(drivers)].sort()));
`;

async function driversLoadedBy(entry: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', probe, entry], { cwd: root });
  return JSON.parse(stdout) as string[];
}

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

  it('"switchboard/redis" exposes the Redis backends', async () => {
    const redis = await import('switchboard/redis');
    expect([typeof redis.RedisBus, typeof redis.RedisPresence, typeof redis.RedisLease, typeof redis.createRedisBus]).toEqual(['function', 'function', 'function', 'function']);
  });

  it('"switchboard" loads no driver; each backend subpath loads only its own', async () => {
    const [main, client, sqlite, postgres, redis] = await Promise.all(['switchboard', 'switchboard/client', 'switchboard/sqlite', 'switchboard/postgres', 'switchboard/redis'].map(driversLoadedBy));
    expect(main).toEqual([]);
    expect(client).toEqual([]);
    // The same probe sees a driver when one is loaded: it can fail.
    expect(sqlite).toEqual(['better-sqlite3']);
    expect(postgres).toEqual(['pg']);
    expect(redis).toEqual(['ioredis']);
  });
});
