/**
 * The load connections of a cross-node run: connection i opens on node `plan[i].node` and every
 * message it sends is addressed to the user of connection `plan[i].partner`, who is connected to
 * another node (the offline workload addresses users nobody connects instead). Plugged into
 * runBench through its `createLink` hook, so the runner, its schedule and its counting are the
 * ones of every other bench run.
 */
import { FrameBuilder } from '../src/bench/bench-codec.js';
import type { BenchLink, LinkSink } from '../src/bench/bench-link.js';
import { toHttpOrigin } from '../src/bench/bench-links.js';
import type { BenchRunOptions } from '../src/bench/bench-options.js';
import { crossNodePlan } from '../src/bench/cluster-plan.js';
import { SocketIoLink, type SocketIoConnect } from '../src/bench/socketio-link.js';
import { WsLink } from '../src/bench/ws-link.js';

export type CreateLink = (index: number, sink: LinkSink) => BenchLink;

/**
 * A `createLink` hook for `o` (its connections, payload, feature, scenario, user names) against
 * the nodes at `urls` (ws:// URLs: the gateway's /ws endpoint, or a Socket.IO server's origin).
 */
export async function crossNodeLinks(o: BenchRunOptions, urls: readonly string[], protocol: 'switchboard' | 'socketio'): Promise<CreateLink> {
  const plan = crossNodePlan(o.connections, urls.length);
  const offline = o.scenario === 'offline';
  const builder = new FrameBuilder(o.payloadChars, offline ? 'RELIABLE' : o.feature);
  const user = (i: number): string => `${o.appName}-${o.userOffset + i}`;
  const target = (i: number): string => (offline ? user(o.connections + i) : user(plan[i]!.partner));
  if (protocol === 'socketio') {
    const connect: SocketIoConnect = (await import('socket.io-client')).io;
    const origins = urls.map(toHttpOrigin);
    return (i, sink) => new SocketIoLink({ url: origins[plan[i]!.node]!, index: i, userId: user(i), to: target(i), builder, sink, connect });
  }
  return (i, sink) =>
    new WsLink({
      url: urls[plan[i]!.node]!,
      index: i,
      auth: { appId: o.appId, userId: user(i), token: o.token },
      prefix: builder.messagePrefix(target(i)),
      builder,
      withReference: offline || o.references === true,
      sink,
    });
}
