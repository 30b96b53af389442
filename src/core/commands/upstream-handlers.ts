/**
 * Handlers backed by HTTP (contract §9): a command webhook, a job URL, the version URL. They build
 * requests for the UpstreamFetch port and read its answers; the port itself lives in the gateway.
 */
import type { CommandHandler, JobHandler, UpstreamFetch } from './push-types.js';

/** A failed upstream call; the message names the status, never a token or a body. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
}

/** POST {appId, userId, params} with the token as bearer; a 2xx JSON answer is the result (empty: null). */
export function webhookCommand(fetch: UpstreamFetch, url: string): CommandHandler {
  return async (call) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
    const response = await fetch({ method: 'POST', url, headers, body: JSON.stringify({ appId: call.appId, userId: call.userId, params: call.params }), signal: call.signal });
    if (response.status < 200 || response.status > 299) throw new UpstreamError(`command webhook answered ${response.status}`);
    if (response.body.trim() === '') return null;
    try {
      return JSON.parse(response.body) as unknown;
    } catch {
      throw new UpstreamError('command webhook answered something that is not JSON');
    }
  };
}

/** Query string of a job's parameters: strings as they are, anything else as JSON. */
function withParams(url: string, params: Readonly<Record<string, unknown>> | undefined): string {
  if (params === undefined) return url;
  const query = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v))}`)
    .join('&');
  if (query === '') return url;
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}

/** A job's result as pushed: `data` (JSON when the body is JSON, else the text) and `text` to compare runs with. */
export interface JobResult {
  readonly data: unknown;
  /** What makes two results equal: the JSON of `data` (a NOTIFICATION carries exactly this text). */
  readonly text: string;
}

/** GET with the token as bearer and the user in x-switchboard-user; `fence` is the lease's fencing token. */
export function httpJob(fetch: UpstreamFetch, url: string): (call: Parameters<JobHandler>[0], fence: number) => Promise<JobResult> {
  return async (call, fence) => {
    const headers: Record<string, string> = { accept: 'application/json', 'x-switchboard-user': call.userId, 'x-switchboard-fence': String(fence) };
    if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`;
    const response = await fetch({ method: 'GET', url: withParams(url, call.params), headers, signal: call.signal });
    if (response.status < 200 || response.status > 299) throw new UpstreamError(`job url answered ${response.status}`);
    const data = parseOrText(response.body);
    return { data, text: JSON.stringify(data) };
  };
}

/** An in-code job handler as a runner: its result compared by its JSON. */
export function codeJob(handler: JobHandler): (call: Parameters<JobHandler>[0]) => Promise<JobResult> {
  return async (call) => {
    const data = await handler(call);
    return { data: data === undefined ? null : data, text: JSON.stringify(data) ?? 'null' };
  };
}

function parseOrText(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}

/** The version an answer names: the `version` field of a JSON object, else the whole body (trimmed). */
export function versionOf(body: string): unknown {
  const parsed = parseOrText(body);
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'version' in parsed) return parsed.version;
  return body.trim();
}

/** GET the version URL (no user, no token). */
export function httpVersion(fetch: UpstreamFetch, url: string): (signal: AbortSignal) => Promise<unknown> {
  return async (signal) => {
    const response = await fetch({ method: 'GET', url, headers: { accept: 'application/json, text/plain' }, signal });
    if (response.status < 200 || response.status > 299) throw new UpstreamError(`version url answered ${response.status}`);
    return versionOf(response.body);
  };
}
