/**
 * startGateway: an in-process gateway on port 0 with memory backends (or given ones), for
 * integration tests. Always stop() it in afterEach.
 */
import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { afterEach } from 'vitest';
import { MemoryBus, MemoryBusNetwork } from '../../src/adapters/memory/memory-bus.js';
import { MemoryMessageStore } from '../../src/adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import { createAppAuth } from '../../src/adapters/create-app-auth.js';
import { loadConfig } from '../../src/config/load-config.js';
import { serveOptions, type ServeConfig } from '../../src/config/options.js';
import { silentLogger } from '../../src/core/ports.js';
import { createGateway, type Gateway, type GatewayBackends } from '../../src/gateway/gateway.js';
import type { TestClient } from './test-client.js';

export interface TestGateway {
  readonly gateway: Gateway;
  readonly url: string;
  readonly httpUrl: string;
  readonly backends: GatewayBackends;
  stop(): Promise<void>;
}

export async function startGateway(overrides: Partial<ServeConfig> = {}, backends?: GatewayBackends): Promise<TestGateway> {
  const base = loadConfig('serve', serveOptions, { argv: [], env: {} });
  const config = { ...base, port: 0, ...overrides };
  const given = backends ?? { bus: new MemoryBus(), presence: new MemoryPresence(), store: new MemoryMessageStore(), lease: new MemoryLease() };
  // The apps' verifiers (webhook, JWT) as `serve` builds them, unless the test brings its own.
  const b = given.auth === undefined ? { ...given, auth: createAppAuth(config.clientApps, { logger: silentLogger, webhookTimeoutMs: config.authTimeoutMs }).verifier } : given;
  const gateway = createGateway(config, b, silentLogger);
  const { port } = await gateway.start();
  return { gateway, url: `ws://127.0.0.1:${port}/ws`, httpUrl: `http://127.0.0.1:${port}`, backends: b, stop: () => gateway.stop() };
}

/** A test file's gateways and clients: what a test starts or pushes here is gone after it. */
export interface GatewayScope {
  /** startGateway, stopped after the test (last started, first stopped). */
  start(overrides?: Partial<ServeConfig>, backends?: GatewayBackends): Promise<TestGateway>;
  /** Clients terminated after the test, before the gateways stop. */
  readonly clients: TestClient[];
}

/** Registers the afterEach that terminates the scope's clients and stops its gateways. Call once per file. */
export function gatewayScope(): GatewayScope {
  const gateways: TestGateway[] = [];
  const clients: TestClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    for (const g of gateways.splice(0).reverse()) await g.stop();
  });
  return {
    clients,
    start: async (overrides, backends) => {
      const g = await startGateway(overrides, backends);
      gateways.push(g);
      return g;
    },
  };
}

/**
 * Two in-process gateway nodes sharing one in-memory bus network, presence and store: a cluster
 * in one process. `url` alternates between the nodes on every read, so the clients of a test sit
 * on both and every rule is exercised across nodes.
 */
export async function startTwoNodes(overrides: Partial<ServeConfig> = {}): Promise<TestGateway & { readonly nodes: readonly TestGateway[] }> {
  const network = new MemoryBusNetwork();
  const presence = new MemoryPresence();
  const lease = new MemoryLease();
  const store = new MemoryMessageStore();
  const nodes = [
    await startGateway({ nodeId: 'node-a', ...overrides }, { bus: new MemoryBus({ network }), presence, store, lease }),
    await startGateway({ nodeId: 'node-b', ...overrides }, { bus: new MemoryBus({ network }), presence, store, lease }),
  ];
  let reads = 0;
  return {
    nodes,
    get gateway() {
      return nodes[0]!.gateway;
    },
    get url() {
      return nodes[reads++ % 2]!.url;
    },
    httpUrl: nodes[0]!.httpUrl,
    backends: nodes[0]!.backends,
    stop: async () => {
      // Shared backends are closed by the first stop; the second node's stop closes them again (idempotent).
      for (const node of nodes) await node.stop();
    },
  };
}
