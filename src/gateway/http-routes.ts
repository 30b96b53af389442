/**
 * The plain HTTP surface of `serve` (contract §2): /healthz, /readyz, /metrics. Upgrades to /ws are
 * handled by the WebSocket endpoint, not here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';

export interface HttpRoutesOptions {
  readonly registry: Registry;
  /** Readiness: every backend connected and the gateway not stopping. */
  readonly readiness: () => { ready: boolean; backends: Record<string, boolean> };
  /** The server API: every path under /api/ goes here, whatever the method. */
  readonly api?: (req: IncomingMessage, res: ServerResponse, path: string) => void;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export function createHttpHandler(options: HttpRoutesOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (options.api !== undefined && path.startsWith('/api/')) return options.api(req, res, path);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 });
      res.end();
      return;
    }
    switch (path) {
      case '/healthz':
        json(res, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const { ready, backends } = options.readiness();
        json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', backends });
        return;
      }
      case '/metrics':
        options.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': options.registry.contentType });
            res.end(text);
          },
          () => json(res, 500, { status: 'error' }),
        );
        return;
      case '/ws':
        // A plain GET on the WebSocket path: say what it is for.
        res.writeHead(426, { upgrade: 'websocket', connection: 'Upgrade', 'content-length': 0 });
        res.end();
        return;
      default:
        json(res, 404, { status: 'not found' });
    }
  };
}
