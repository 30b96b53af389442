/**
 * The UpstreamFetch port on node:http(s) with keep-alive agents (one TCP connection carries many
 * job runs; Node's fetch cost several times more CPU per request here): one request, redirects not
 * followed, the body read up to a size bound (a larger one rejects).
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { UpstreamFetch } from '../core/commands/push-types.js';

/** Largest upstream answer read, bytes. */
export const MAX_UPSTREAM_BODY_BYTES = 1_048_576;

export interface UpstreamFetchOptions {
  /** @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Sockets per upstream host kept open and used at once. @default 256 */
  readonly maxSockets?: number;
}

export function createUpstreamFetch(options: UpstreamFetchOptions = {}): UpstreamFetch {
  const maxBodyBytes = options.maxBodyBytes ?? MAX_UPSTREAM_BODY_BYTES;
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 256, maxFreeSockets: 64 };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);
  return (request) =>
    new Promise((resolve, reject) => {
      const url = new URL(request.url);
      const secure = url.protocol === 'https:';
      const headers: Record<string, string> = { ...request.headers };
      if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
      const req = (secure ? httpsRequest : httpRequest)(url, { method: request.method, headers, agent: secure ? https : http, signal: request.signal }, (res: IncomingMessage) => {
        const declared = Number(res.headers['content-length'] ?? '0');
        if (declared > maxBodyBytes) {
          res.destroy();
          reject(new Error(`upstream answer of ${declared} bytes is over ${maxBodyBytes}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBodyBytes) {
            res.destroy();
            reject(new Error(`upstream answer over ${maxBodyBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(request.body);
    });
}
