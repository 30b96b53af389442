/**
 * The UpstreamFetch port on Node's fetch: one request, no redirects followed, the body read up to
 * a size bound (a larger one rejects). Used by command webhooks, job URLs and version polls.
 */
import type { UpstreamFetch } from '../core/commands/push-types.js';

/** Largest upstream answer read, bytes. */
export const MAX_UPSTREAM_BODY_BYTES = 1_048_576;

export function createUpstreamFetch(maxBodyBytes = MAX_UPSTREAM_BODY_BYTES): UpstreamFetch {
  return async (request) => {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: request.signal,
      redirect: 'manual',
    });
    const length = Number(response.headers.get('content-length') ?? '0');
    if (length > maxBodyBytes) {
      await response.body?.cancel();
      throw new Error(`upstream answer of ${length} bytes is over ${maxBodyBytes}`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body !== null) {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > maxBodyBytes) {
          await response.body.cancel().catch(() => undefined);
          throw new Error(`upstream answer over ${maxBodyBytes} bytes`);
        }
        chunks.push(chunk);
      }
    }
    return { status: response.status, body: Buffer.concat(chunks).toString('utf8') };
  };
}
