/**
 * PushRegistry: each app's commands, jobs and version poll, from config (HTTP upstreams) and from
 * code (createGateway's `commands` / `jobs`), resolved once to handlers with one shape.
 */
import type { ClientApp } from '../client-apps.js';
import type { CodeCommand, CodeJob, CommandHandler, CommandSpec, JobCall, JobSpec, UpstreamFetch, VersionSpec } from './push-types.js';
import { codeJob, httpJob, httpVersion, type JobResult } from './upstream-handlers.js';
import { webhookCommand } from './upstream-handlers.js';

export interface RegisteredCommand {
  readonly spec: CommandSpec;
  readonly handler: CommandHandler;
}

export interface RegisteredJob {
  readonly appId: string;
  readonly spec: JobSpec;
  /** True when a command starts it (`startsJob`): it runs only for users who ran that command, with its params. */
  readonly onDemand: boolean;
  readonly run: (call: JobCall, fence: number) => Promise<JobResult>;
}

export interface RegisteredVersion {
  readonly appId: string;
  readonly spec: VersionSpec;
  readonly poll: (signal: AbortSignal) => Promise<unknown>;
}

export interface PushRegistrations {
  readonly commands?: readonly CodeCommand[] | undefined;
  readonly jobs?: readonly CodeJob[] | undefined;
}

export class PushRegistry {
  readonly #commands = new Map<string, Map<string, RegisteredCommand>>();
  readonly #jobs = new Map<string, RegisteredJob[]>();
  readonly #versions: RegisteredVersion[] = [];

  /** Throws a TypeError for a name registered twice in one app, or a `startsJob` naming no job. */
  constructor(apps: Iterable<ClientApp>, fetch: UpstreamFetch, code: PushRegistrations = {}) {
    const appIds = new Set<string>();
    for (const app of apps) {
      appIds.add(app.appId);
      for (const c of app.commands ?? []) if (c.url !== undefined) this.#addCommand(app.appId, c, webhookCommand(fetch, c.url));
      for (const j of app.jobs ?? []) if (j.url !== undefined) this.#addJob(app.appId, j, httpJob(fetch, j.url));
      if (app.version !== undefined) this.#versions.push({ appId: app.appId, spec: app.version, poll: httpVersion(fetch, app.version.url) });
    }
    for (const c of code.commands ?? []) {
      if (!appIds.has(c.appId)) throw new TypeError(`command ${c.name}: no app ${c.appId}`);
      this.#addCommand(c.appId, c, c.handler);
    }
    for (const j of code.jobs ?? []) {
      if (!appIds.has(j.appId)) throw new TypeError(`job ${j.name}: no app ${j.appId}`);
      if (!Number.isInteger(j.every) || j.every < 10) throw new RangeError(`job ${j.name}: every must be an integer ≥ 10 (ms)`);
      this.#addJob(j.appId, j, codeJob(j.handler));
    }
    for (const [appId, commands] of this.#commands) {
      for (const command of commands.values()) {
        const job = command.spec.startsJob;
        if (job === undefined) continue;
        const jobs = this.#jobs.get(appId) ?? [];
        const i = jobs.findIndex((j) => j.spec.name === job);
        if (i < 0) throw new TypeError(`command ${command.spec.name} of app ${appId}: startsJob names no job (${job})`);
        jobs[i] = { ...jobs[i]!, onDemand: true };
      }
    }
  }

  #addCommand(appId: string, spec: CommandSpec, handler: CommandHandler): void {
    let commands = this.#commands.get(appId);
    if (commands === undefined) this.#commands.set(appId, (commands = new Map<string, RegisteredCommand>()));
    if (commands.has(spec.name)) throw new TypeError(`command ${spec.name} registered twice in app ${appId}`);
    commands.set(spec.name, { spec, handler });
  }

  #addJob(appId: string, spec: JobSpec, run: RegisteredJob['run']): void {
    let jobs = this.#jobs.get(appId);
    if (jobs === undefined) this.#jobs.set(appId, (jobs = []));
    if (jobs.some((j) => j.spec.name === spec.name)) throw new TypeError(`job ${spec.name} registered twice in app ${appId}`);
    jobs.push({ appId, spec, onDemand: false, run });
  }

  command(appId: string, name: string): RegisteredCommand | undefined {
    return this.#commands.get(appId)?.get(name);
  }

  jobs(appId: string): readonly RegisteredJob[] {
    return this.#jobs.get(appId) ?? [];
  }

  job(appId: string, name: string): RegisteredJob | undefined {
    return this.#jobs.get(appId)?.find((j) => j.spec.name === name);
  }

  get versions(): readonly RegisteredVersion[] {
    return this.#versions;
  }

  /** True when nothing is declared anywhere (the plugin then stays out of the way). */
  get isEmpty(): boolean {
    return this.#commands.size === 0 && this.#jobs.size === 0 && this.#versions.length === 0;
  }
}
