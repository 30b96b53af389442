/**
 * Helpers for resume tests: a gateway with the resume plugin, SDK clients over `ws`, and a
 * ledger that checks what an app saw (exactly once, per-sender order) and prints the counts.
 */
import WebSocket from 'ws';
import { MemoryAcceptLog } from '../../src/adapters/memory/memory-accept-log.js';
import { MemoryBus } from '../../src/adapters/memory/memory-bus.js';
import { MemoryLease } from '../../src/adapters/memory/memory-lease.js';
import { MemoryMessageStore } from '../../src/adapters/memory/memory-message-store.js';
import { MemoryPresence } from '../../src/adapters/memory/memory-presence.js';
import { createClient, type ClientOptions, type SwitchboardClient } from '../../src/client/index.js';
import type { ServeConfig } from '../../src/config/options.js';
import { createResumePlugin, type ResumeOptions, type ResumePlugin } from '../../src/core/resume/resume-plugin.js';
import type { GatewayScope, TestGateway } from './gateway.js';

export async function startResumeGateway(scope: GatewayScope, resume: Partial<ResumeOptions> = {}, overrides: Partial<ServeConfig> = {}): Promise<TestGateway & { plugin: ResumePlugin }> {
  const plugin = createResumePlugin({ acceptLog: new MemoryAcceptLog(), ...resume });
  const g = await scope.start(overrides, { bus: new MemoryBus(), presence: new MemoryPresence(), store: new MemoryMessageStore(), lease: new MemoryLease(), plugins: [plugin] });
  return { ...g, plugin };
}

/** An SDK client with reconnect and resume, quick to notice a dead socket. */
export function sdkClient(url: string, userId: string, extra: Partial<ClientOptions> = {}): SwitchboardClient {
  return createClient({ url, appId: 'demo', userId, token: 't', WebSocket: WebSocket, reconnect: { minDelayMs: 20, maxDelayMs: 200 }, livenessMs: 600, ...extra });
}

/** What one app received: message bodies are `{n, s}` (sequence number n from sender s). */
export class Ledger {
  readonly got = new Map<string, number[]>();
  duplicated = 0;
  outOfOrder = 0;

  add(from: string, content: unknown): void {
    const n = (content as { n: number }).n;
    let list = this.got.get(from);
    if (list === undefined) this.got.set(from, (list = []));
    if (list.includes(n)) this.duplicated++;
    else if (list.length > 0 && n < list.at(-1)!) this.outOfOrder++;
    list.push(n);
  }

  count(from: string): number {
    return this.got.get(from)?.length ?? 0;
  }
}

/** Resolves once `done()` is true, checking every 20 ms; rejects after `timeoutMs`. */
export async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
