/**
 * Forces a full garbage collection in another Node process through its inspector (the process
 * runs with `node --inspect=127.0.0.1:0`; its WebSocket URL is the `Debugger listening on ws://…`
 * line on its stderr) and reads its JavaScript heap and resident memory afterwards. The idle
 * scenario reads memory this way so that garbage of the connect phase that no collection has
 * reclaimed yet, and a heap that grew in steps, do not count as connection memory, in the floor
 * and in Switchboard alike.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';

/** The pause after a forced collection before RSS is read: freed pages are unmapped by background sweeper threads. */
const SETTLE_MS = 300;
/** Longest wait for one inspector command. */
const COMMAND_TIMEOUT_MS = 30_000;

/** The server's memory after a forced full collection. */
export interface CollectedMemory {
  /** V8 heap in use (Runtime.getHeapUsage usedSize), bytes. */
  readonly heapUsedBytes: number;
}

/** The inspector's WebSocket URL out of a process's stderr text, or undefined. */
export function inspectorUrl(stderr: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(stderr)?.[1];
}

/**
 * Connects to the inspector at `url`, runs `HeapProfiler.collectGarbage` twice (the second one
 * reclaims what finalizers of the first released), waits for the sweepers, and reads the heap in
 * use. Rejects when the inspector cannot be reached or does not answer.
 */
export async function collectGarbage(url: string): Promise<CollectedMemory> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (result: Record<string, unknown>) => void; reject: (err: Error) => void }>();
  socket.on('message', (data: Buffer) => {
    const reply = JSON.parse(data.toString('utf8')) as { id?: number; result?: Record<string, unknown>; error?: { message?: string } };
    const waiter = reply.id === undefined ? undefined : pending.get(reply.id);
    if (waiter === undefined) return;
    pending.delete(reply.id!);
    if (reply.error !== undefined) waiter.reject(new Error(`inspector: ${reply.error.message ?? 'error'}`));
    else waiter.resolve(reply.result ?? {});
  });
  socket.once('close', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('inspector connection closed'));
    pending.clear();
  });
  const call = (method: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`inspector: no answer to ${method} within ${COMMAND_TIMEOUT_MS} ms`)), COMMAND_TIMEOUT_MS);
      pending.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      socket.send(JSON.stringify({ id, method }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    await call('HeapProfiler.collectGarbage');
    await sleep(SETTLE_MS);
    const usage = await call('Runtime.getHeapUsage');
    return { heapUsedBytes: Number(usage.usedSize) };
  } finally {
    socket.close();
  }
}
