/** Client apps with topics and API keys, shared by the topics and server API tests. */
export const API_KEY = 'key-alpha-0123456789';
export const OTHER_KEY = 'key-beta-0123456789x';

export function topicApps(sseBase = 'http://127.0.0.1:9/events'): object[] {
  return [
    {
      appName: 'alpha',
      appId: 'app-alpha',
      masterUserId: 'alpha-0',
      apiKey: API_KEY,
      topics: [{ pattern: 'news/*' }, { pattern: 'project/{id}/{event}', sse: `${sseBase}?project={id}&type={event}` }, { pattern: 'room/{id}' }],
    },
    { appName: 'beta', appId: 'app-beta', masterUserId: 'beta-0', apiKey: OTHER_KEY, topics: [{ pattern: 'news/*' }] },
  ];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are inspected freely
export type Json = any;

/** POSTs JSON (or a raw string) to the server API with a key; resolves status and parsed body. */
export async function api(httpUrl: string, path: string, options: { key?: string | undefined; body?: unknown; method?: string } = {}): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  const res = await fetch(`${httpUrl}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, body };
}
