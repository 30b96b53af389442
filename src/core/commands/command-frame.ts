/**
 * COMMAND (contract §9): looks the command up in the connection's app, validates its params
 * strictly, then runs its handler off the connection's ordered path (other frames keep flowing),
 * at most `maxInFlight` per connection, under the upstream deadline. Answers COMMAND_REPLY, or
 * ERROR UNKNOWN_COMMAND / BAD_REQUEST / TOO_MANY_COMMANDS / UNAVAILABLE.
 */
import { fail, isRecord, type Envelope, type ParseResult } from '../../protocol/decode-frame.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { encodeCommandReply } from '../../protocol/frames.js';
import type { FrameContext, FrameModule } from '../frames/frame-module.js';
import type { Peer } from '../peer.js';
import { DeadlineError, withDeadline, type RunningCalls } from './deadline.js';
import { checkParams } from './param-validation.js';
import type { PushRegistry, RegisteredCommand } from './push-registry.js';

export interface CommandFrame {
  readonly type: 'COMMAND';
  readonly data: { readonly name: string; readonly params: Readonly<Record<string, unknown>> };
  readonly reference: string | undefined;
}

export interface CommandFrameOptions {
  readonly registry: PushRegistry;
  /** Handler deadline, ms (--upstream-timeout-ms). */
  readonly timeoutMs: number;
  /** Commands one connection may have waiting for their handlers (--max-commands-in-flight). */
  readonly maxInFlight: number;
  /** Aborted on shutdown: running handlers are told to stop. */
  readonly stopping: RunningCalls;
  /** A command succeeded: the job it starts, if any, takes its params. */
  readonly started: (connection: FrameContext, command: RegisteredCommand, params: Readonly<Record<string, unknown>>) => void;
}

const MAX_NAME = 128;

export function parseCommand(e: Envelope): ParseResult<CommandFrame> {
  const { name, params } = e.data;
  if (typeof name !== 'string' || name === '' || name.length > MAX_NAME) return fail(ErrorCode.BadRequest, `data.name must be a non-empty string of at most ${MAX_NAME} characters`, e.reference);
  if (params !== undefined && params !== null && !isRecord(params)) return fail(ErrorCode.BadRequest, 'data.params must be an object', e.reference);
  return { ok: true, frame: { type: 'COMMAND', data: { name, params: params ?? {} }, reference: e.reference } };
}

export function createCommandFrame(o: CommandFrameOptions): FrameModule<CommandFrame> {
  /** Handlers running per connection (a WeakMap: a closed connection's count goes with it). */
  const inFlight = new WeakMap<Peer, number>();

  function handle(connection: FrameContext, frame: CommandFrame): void {
    const { metrics, clock } = connection.services;
    const { name, params } = frame.data;
    const reference = frame.reference;
    const command = o.registry.command(connection.app!.appId, name);
    if (command === undefined) {
      metrics.commandHandled('(unknown)', 'unknown', 0);
      connection.sendError(ErrorCode.UnknownCommand, `no command ${JSON.stringify(name)} in this app`, reference);
      return;
    }
    const check = checkParams(command.spec.params ?? {}, params);
    if (!check.ok) {
      metrics.commandHandled(name, 'bad_request', 0);
      connection.sendError(ErrorCode.BadRequest, check.message, reference);
      return;
    }
    const running = inFlight.get(connection) ?? 0;
    if (running >= o.maxInFlight) {
      metrics.commandHandled(name, 'too_many', 0);
      connection.sendError(ErrorCode.TooManyCommands, `${o.maxInFlight} commands of this connection are still running; retry after a reply`, reference);
      return;
    }
    inFlight.set(connection, running + 1);
    const startedAt = clock();
    const call = { appId: connection.app!.appId, userId: connection.userId!, params, token: connection.token };
    withDeadline(connection.services.scheduler, o.timeoutMs, (signal) => command.handler({ ...call, signal }), o.stopping)
      .then(
        (result) => {
          metrics.commandHandled(name, 'ok', Math.max(1e-3, clock() - startedAt));
          connection.send(encodeCommandReply(name, result, reference), 'COMMAND_REPLY');
          if (command.spec.startsJob !== undefined) o.started(connection, command, params);
        },
        (err: unknown) => {
          const timedOut = err instanceof DeadlineError;
          metrics.commandHandled(name, timedOut ? 'timeout' : 'failed', Math.max(1e-3, clock() - startedAt));
          connection.services.logger.warn({ command: name, appId: call.appId, userId: call.userId, err: err instanceof Error ? err.message : String(err) }, 'command handler failed');
          connection.sendError(ErrorCode.Unavailable, timedOut ? `command ${name} timed out after ${o.timeoutMs} ms` : `command ${name} failed`, reference);
        },
      )
      .finally(() => {
        const left = (inFlight.get(connection) ?? 1) - 1;
        if (left === 0) inFlight.delete(connection);
        else inFlight.set(connection, left);
      })
      .catch(() => undefined); // the handlers above do not throw; nothing is left to report
  }

  return { type: 'COMMAND', parse: (e) => parseCommand(e), handle };
}
