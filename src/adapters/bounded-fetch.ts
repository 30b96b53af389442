/**
 * One HTTP request with a deadline and a cap on the body read: what the auth adapters use to reach
 * an IdP or a webhook. A hung server, a redirect or an oversized body is an error, never a wait
 * without end or unbounded memory. Error messages name the cause, never a request body.
 */

export interface BoundedFetchOptions {
  readonly method?: 'GET' | 'POST';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Whole request, headers and body included, ms. */
  readonly timeoutMs: number;
  /** Largest body read, bytes; past it the request fails. */
  readonly maxBytes: number;
}

export interface BoundedResponse {
  readonly status: number;
  readonly text: string;
}

/** Why a request failed, as a short stable phrase (no URL query, no body). */
export class FetchFailure extends Error {
  override readonly name = 'FetchFailure';
  constructor(
    message: string,
    /** Why, in a word an operator can act on (ECONNREFUSED, ENOTFOUND, "timeout after 5000 ms", …). */
    readonly reason: string = message,
  ) {
    super(message);
  }
}

/** Resolves the status and the body text (read even for non-2xx); rejects with FetchFailure. */
export async function boundedFetch(url: string, options: BoundedFetchOptions): Promise<BoundedResponse> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { body: options.body }),
      signal,
      redirect: 'error',
    });
  } catch (err) {
    throw signal.aborted ? new FetchFailure('timed out', `timeout after ${options.timeoutMs} ms`) : new FetchFailure(`unreachable (${causeName(err)})`, causeName(err));
  }
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new FetchFailure(`body over ${options.maxBytes} bytes`);
  }
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (reader !== undefined) {
    try {
      for (;;) {
        const { done, value } = (await reader.read()) as { done: false; value: Uint8Array } | { done: true; value: undefined };
        if (done) break;
        total += value.byteLength;
        if (total > options.maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new FetchFailure(`body over ${options.maxBytes} bytes`);
        }
        chunks.push(value);
      }
    } catch (err) {
      if (err instanceof FetchFailure) throw err;
      throw new FetchFailure(signal.aborted ? 'timed out' : `body unreadable (${causeName(err)})`);
    }
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks));
  return { status: response.status, text };
}

function causeName(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (cause instanceof Error) return (cause as { code?: unknown }).code === undefined ? cause.name : String((cause as { code?: unknown }).code);
  return 'error';
}
