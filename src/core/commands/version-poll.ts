/**
 * VersionPolls: each app's `version` URL polled once per cluster (lease `version:<appId>`, any
 * node may hold it); a version unlike the last one known goes to every connection of the app on
 * every node as NEW_VERSION (an `app-frame` on the `all` channel). Every node learns the current
 * version from those pushes, so a node that takes the poll over compares against it; a node that
 * has seen none takes its first answer as the baseline and pushes nothing.
 */
import { encodeNewVersion } from '../../protocol/frames.js';
import type { AppId } from '../ids.js';
import { allChannel } from '../ports.js';
import type { Services } from '../services.js';
import { withDeadline, type RunningCalls } from './deadline.js';
import { LeasedLoop } from './leased-loop.js';
import type { RegisteredVersion } from './push-registry.js';

export interface VersionPollsOptions {
  readonly versions: readonly RegisteredVersion[];
  readonly timeoutMs: number;
  readonly random: () => number;
  readonly stopping: RunningCalls;
  readonly held: (delta: 1 | -1, handover: boolean) => void;
  readonly failed: (err: unknown) => void;
}

export class VersionPolls {
  /** The last version known per app, as JSON text. */
  readonly #known = new Map<string, string>();
  readonly #loops: LeasedLoop[] = [];

  constructor(
    readonly services: Services,
    readonly options: VersionPollsOptions,
  ) {}

  start(): void {
    const s = this.services;
    for (const version of this.options.versions) {
      const loop: LeasedLoop = new LeasedLoop({
        name: `version:${version.appId}`,
        holder: s.nodeId,
        everyMs: version.spec.every,
        lease: s.lease,
        scheduler: s.scheduler,
        clock: s.clock,
        random: this.options.random,
        turn: (): Promise<void> => this.#poll(version, loop),
        held: this.options.held,
        failed: this.options.failed,
      });
      this.#loops.push(loop);
      loop.start(this.options.random() * Math.min(version.spec.every, 250));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.#loops.splice(0).map((loop) => loop.stop().catch((err: unknown) => this.options.failed(err))));
  }

  /** A NEW_VERSION was published (here or elsewhere): it is now the known version. */
  seen(appId: string, versionJson: string): void {
    this.#known.set(appId, versionJson);
  }

  async #poll(version: RegisteredVersion, loop: LeasedLoop): Promise<void> {
    const s = this.services;
    let value: unknown;
    try {
      value = await withDeadline(s.scheduler, this.options.timeoutMs, (signal) => version.poll(signal), this.options.stopping);
    } catch (err) {
      s.metrics.jobRun('(version)', 'failed');
      s.logger.warn({ appId: version.appId, err: err instanceof Error ? err.message : String(err) }, 'version poll failed');
      return;
    }
    const json = JSON.stringify(value ?? null);
    const known = this.#known.get(version.appId);
    if (!loop.isHolder) return s.metrics.jobRun('(version)', 'fenced');
    if (known === json) return s.metrics.jobRun('(version)', 'unchanged');
    this.#known.set(version.appId, json);
    if (known === undefined) return s.metrics.jobRun('(version)', 'unchanged'); // the baseline
    s.metrics.jobRun('(version)', 'changed');
    s.publisher.publish(allChannel, { kind: 'app-frame', origin: s.nodeId, appId: version.appId as AppId, frame: encodeNewVersion(value ?? null), type: 'NEW_VERSION' });
  }
}
