/**
 * The push plugin (contract §9): the COMMAND frame, per-user jobs and version polls, plugged into
 * the core. It keeps no I/O of its own: upstream calls go through the UpstreamFetch port, timers
 * through the Scheduler, leases through the Lease port, frames through the Publisher.
 */
import type { Delivery } from '../ports.js';
import type { ClientApp } from '../client-apps.js';
import type { UserId } from '../ids.js';
import type { Plugin } from '../plugin.js';
import type { Services } from '../services.js';
import { userChannel } from '../ports.js';
import { encodeJobStarted } from '../../protocol/frames.js';
import { createCommandFrame } from './command-frame.js';
import { RunningCalls } from './deadline.js';
import type { PushRegistry } from './push-registry.js';
import { UserJobs } from './user-jobs.js';
import { VersionPolls } from './version-poll.js';

export interface PushPluginOptions {
  readonly registry: PushRegistry;
  /** Deadline of every handler, job run and version poll, ms. @default 5000 */
  readonly upstreamTimeoutMs: number;
  /** Commands one connection may have running. @default 16 */
  readonly maxCommandsInFlight: number;
  /** Runs of one job at once on this node, across users. @default 32 */
  readonly jobConcurrency: number;
  /** @default Math.random */
  readonly random?: () => number;
}

export interface PushPlugin extends Plugin {
  /** Per-user job loops on this node (0 before attach). */
  readonly jobLoops: number;
}

export function createPushPlugin(o: PushPluginOptions): PushPlugin {
  const random = o.random ?? Math.random;
  const stopping = new RunningCalls();
  let services: Services | undefined;
  let jobs: UserJobs | undefined;
  let versions: VersionPolls | undefined;
  let held = 0;

  function onHeld(delta: 1 | -1, handover: boolean, kind: 'job' | 'version'): void {
    held += delta;
    services!.metrics.jobsRunning(held);
    if (handover) services!.metrics.leaseHandover(kind);
  }

  function failed(err: unknown): void {
    services!.metrics.backendError('lease');
    services!.logger.error({ backend: 'lease', err }, 'backend operation failed');
  }

  /** NOTIFICATION and JOB_STARTED frames to a user, from any node: the job state they carry. */
  function observeFrame(d: Extract<Delivery, { kind: 'frame' }>): void {
    if (d.type !== 'NOTIFICATION' && d.type !== 'JOB_STARTED') return;
    if (!services!.local.has(d.to)) return;
    const frame = JSON.parse(d.frame) as { data: { job: string; data?: unknown; params?: Record<string, unknown> } };
    if (d.type === 'NOTIFICATION') jobs!.notified(d.to, frame.data.job, JSON.stringify(frame.data.data));
    else jobs!.jobStarted(d.to, frame.data.job, frame.data.params ?? {});
  }

  /** NEW_VERSION for every local connection of the app. */
  function deliverAppFrame(d: Extract<Delivery, { kind: 'app-frame' }>): void {
    const s = services!;
    if (d.type === 'NEW_VERSION') versions!.seen(d.appId, JSON.stringify((JSON.parse(d.frame) as { data: { version: unknown } }).data.version));
    for (const [userId, peers] of s.local.entries()) {
      if (s.apps.appOfUser(userId)?.appId !== d.appId) continue;
      for (const peer of peers) peer.send(d.frame, d.type);
    }
  }

  const commandFrame = createCommandFrame({
    registry: o.registry,
    timeoutMs: o.upstreamTimeoutMs,
    maxInFlight: o.maxCommandsInFlight,
    stopping,
    started: (connection, command, params) => {
      const s = connection.services;
      const userId = connection.userId!;
      const job = command.spec.startsJob!;
      // The publish reaches this node's observer too (observeFrame), which starts the job here.
      s.publisher.publish(userChannel(userId), { kind: 'frame', origin: s.nodeId, to: userId, frame: encodeJobStarted(job, params), type: 'JOB_STARTED' });
    },
  });

  return {
    name: 'push',
    frames: [commandFrame],
    get jobLoops() {
      return jobs?.size ?? 0;
    },
    attach(s) {
      services = s;
      jobs = new UserJobs(s, { registry: o.registry, timeoutMs: o.upstreamTimeoutMs, concurrency: o.jobConcurrency, random, stopping, held: (d, h) => onHeld(d, h, 'job') });
      versions = new VersionPolls(s, { versions: o.registry.versions, timeoutMs: o.upstreamTimeoutMs, random, stopping, held: (d, h) => onHeld(d, h, 'version'), failed });
      s.delivery.handle('frame', observeFrame);
      s.delivery.handle('app-frame', deliverAppFrame);
    },
    start() {
      versions!.start();
      return Promise.resolve();
    },
    async stop() {
      stopping.abortAll();
      await jobs!.stop();
      await versions!.stop();
    },
    userArrived(app: ClientApp, userId: UserId) {
      jobs!.userArrived(app, userId);
    },
    userLeft(_app: ClientApp, userId: UserId) {
      jobs!.userLeft(userId);
    },
  };
}
