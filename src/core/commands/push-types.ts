/**
 * The shapes of server push (contract §9): commands with typed parameters, per-user jobs and the
 * version poll, as config declares them and as code registers them; and the one port the push
 * code needs from outside, an HTTP request function (the gateway implements it).
 */

export type ParamType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array';
export const PARAM_TYPES: readonly ParamType[] = ['string', 'number', 'integer', 'boolean', 'object', 'array'];

export interface ParamSpec {
  readonly type: ParamType;
  /** @default false */
  readonly required?: boolean | undefined;
}

/** A command as declared: its parameters and, for a webhook, its URL. */
export interface CommandSpec {
  readonly name: string;
  /** Declared parameters; any other parameter is refused. @default {} */
  readonly params?: Readonly<Record<string, ParamSpec>> | undefined;
  /** Webhook: POST {appId, userId, params} with the user's token as bearer; the JSON answer is the result. */
  readonly url?: string | undefined;
  /** After a successful reply, the user's job of this name runs with this command's parameters (docs/push.md). */
  readonly startsJob?: string | undefined;
}

/** A per-user job as declared. */
export interface JobSpec {
  readonly name: string;
  /** Period, ms. */
  readonly every: number;
  /** GET on the user's behalf (bearer token, x-switchboard-user). */
  readonly url?: string | undefined;
}

/** The app's version poll. */
export interface VersionSpec {
  readonly url: string;
  /** Period, ms. */
  readonly every: number;
}

/** What a command handler gets. */
export interface CommandCall {
  readonly appId: string;
  readonly userId: string;
  /** Validated against the declaration. */
  readonly params: Readonly<Record<string, unknown>>;
  /** The token of the connection that sent the command. Never log it. */
  readonly token: string | undefined;
  /** Aborted when the handler timed out or the gateway stops. */
  readonly signal: AbortSignal;
}
/** Resolves the command's result (sent as COMMAND_REPLY's `result`); a rejection answers UNAVAILABLE. */
export type CommandHandler = (call: CommandCall) => Promise<unknown>;

/** What a job handler gets on each run. */
export interface JobCall {
  readonly appId: string;
  readonly userId: string;
  /** The token of one of the user's connections on the running node, not expired. Never log it. */
  readonly token: string | undefined;
  /** The parameters of the command that started the job (see CommandSpec.startsJob), else undefined. */
  readonly params: Readonly<Record<string, unknown>> | undefined;
  readonly signal: AbortSignal;
}
/** Resolves the job's result (NOTIFICATION's `data` when it differs from the previous one); a rejection is a failed run (backoff). */
export type JobHandler = (call: JobCall) => Promise<unknown>;

/** A command registered in code (createGateway's `commands`): the config schema plus a handler. */
export interface CodeCommand extends Omit<CommandSpec, 'url'> {
  readonly appId: string;
  readonly handler: CommandHandler;
}

/** A job registered in code (createGateway's `jobs`). */
export interface CodeJob extends Omit<JobSpec, 'url'> {
  readonly appId: string;
  readonly handler: JobHandler;
}

export interface UpstreamRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Aborts the request (timeout, shutdown). */
  readonly signal: AbortSignal;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly body: string;
}

/**
 * One HTTP request to an upstream (command webhook, job URL, version URL). Rejects on network
 * errors, abort, and bodies over the implementation's size bound; a non-2xx status resolves.
 */
export type UpstreamFetch = (request: UpstreamRequest) => Promise<UpstreamResponse>;
