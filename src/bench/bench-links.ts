/**
 * Makes the connections of one bench run: a WsLink per connection (switchboard or echo protocol,
 * with the frame prefix of its scenario), a SocketIoLink per connection, or the hooks' own links;
 * opens them with bounded concurrency.
 */
import { FrameBuilder } from './bench-codec.js';
import type { BenchLink, LinkSink } from './bench-link.js';
import { BenchError, type BenchHooks, type BenchRunOptions } from './bench-options.js';
import { SocketIoLink, type SocketIoConnect } from './socketio-link.js';
import { WsLink } from './ws-link.js';

export async function createBenchLinks(o: BenchRunOptions, hooks: BenchHooks, sink: LinkSink, expectedPerMessage: number): Promise<BenchLink[]> {
const custom = hooks.createLink;
  if (custom !== undefined) return Array.from({ length: o.connections }, (_, i) => custom(i, sink));
  const builder = new FrameBuilder(o.payloadChars, o.scenario === 'offline' ? 'RELIABLE' : o.feature);
  const user = (i: number): string => `${o.appName}-${o.userOffset + i}`;
  const target = (i: number): string => (o.scenario === 'offline' ? user(o.connections + i) : user(i));
  const links: BenchLink[] = [];
  if (o.protocol === 'socketio') {
    let connect: SocketIoConnect;
    try {
      connect = (await import('socket.io-client')).io;
    } catch (err) {
      throw new BenchError('--protocol socketio needs the socket.io-client package (a devDependency)', { cause: err });
    }
    const url = toHttpOrigin(o.url);
    for (let i = 0; i < o.connections; i++) links.push(new SocketIoLink({ url, index: i, userId: user(i), to: target(i), builder, sink, connect }));
    return links;
  }
  for (let i = 0; i < o.connections; i++) {
    let prefix: string;
    if (o.scenario === 'fanout') {
      const group: string[] = [];
      for (let k = 1; k <= expectedPerMessage; k++) group.push(user((i + k) % o.connections));
      prefix = builder.groupPrefix(group);
    } else {
      prefix = builder.messagePrefix(target(i));
    }
    links.push(
      new WsLink({
        url: o.url,
        index: i,
        ...(o.protocol === 'switchboard' ? { auth: { appId: o.appId, userId: user(i), token: o.token } } : {}),
        prefix,
        builder,
        withReference: o.scenario === 'offline' || o.references === true,
        sink,
        ...(o.localAddress === undefined ? {} : { localAddress: o.localAddress }),
      }),
    );
  }
  return links;
}

const OPEN_TIMEOUT_MS = 15_000;

/** Opens `links`, at most `concurrency` at a time, until done or aborted; `onOpen` per success. Resolves with the first open error. */
export async function openLinks(links: readonly BenchLink[], concurrency: number, signal: AbortSignal | undefined, onOpen: () => void): Promise<unknown> {
  let next = 0;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < links.length && signal?.aborted !== true) {
      const link = links[next++]!;
      try {
        await link.open(OPEN_TIMEOUT_MS);
        onOpen();
      } catch (err) {
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, links.length) }, worker));
  return firstError;
}

/** ws://host:port/anything → http://host:port (Socket.IO serves its own path). */
export function toHttpOrigin(url: string): string {
  const u = new URL(url);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  return u.origin;
}
