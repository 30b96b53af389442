/**
 * "Operate it": the server API (contract §8) from the browser, with the app's API key typed by the
 * operator (kept in this page's memory only, sent as `Authorization: Bearer KEY`): look a user up,
 * disconnect a user, publish to a topic. Shows each answer as it came, errors included.
 */
import { byId, h } from './dom.js';

interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

async function call(method: 'GET' | 'POST', path: string, key: string, body?: unknown): Promise<ApiAnswer> {
  const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, cache: 'no-store', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Shown as text.
  }
  return { status: res.status, body: parsed };
}

/** The error message of a `{error:{code,message}}` body, or the body's text. */
function describeError(answer: ApiAnswer): string {
  const error = (answer.body as { error?: { code?: string; message?: string } } | null)?.error;
  if (error !== undefined) return `${error.code ?? ''} ${error.message ?? ''}`.trim();
  if (answer.status === 401) return 'wrong or missing API key';
  if (answer.status === 404) return 'not found (is the server API available on this gateway?)';
  return typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
}

export function startOperateView(): void {
  const result = byId('operate-result', HTMLElement);
  const key = byId('api-key', HTMLInputElement);

  function show(title: string, answer: ApiAnswer, summary: (body: Record<string, unknown>) => Node[]): void {
    const ok = answer.status >= 200 && answer.status < 300;
    const body = (typeof answer.body === 'object' && answer.body !== null ? answer.body : {}) as Record<string, unknown>;
    result.replaceChildren(
      h('p', { class: `status ${ok ? 'ok' : 'bad'}`, 'data-http-status': String(answer.status) }, `${title}: HTTP ${answer.status}${ok ? '' : ` — ${describeError(answer)}`}`),
      ...(ok ? summary(body) : []),
      h('pre', {}, typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body, null, 2)),
    );
  }

  function run(title: string, request: () => Promise<ApiAnswer>, summary: (body: Record<string, unknown>) => Node[]): void {
    if (key.value === '') {
      result.replaceChildren(h('p', { class: 'status bad' }, 'Type the app’s API key first.'));
      key.focus();
      return;
    }
    result.replaceChildren(h('p', { class: 'status' }, `${title}…`));
    request().then(
      (answer) => show(title, answer, summary),
      (err: unknown) => result.replaceChildren(h('p', { class: 'status bad' }, `${title}: ${err instanceof Error ? err.message : String(err)}`)),
    );
  }

  const field = (id: string): string => byId(id, HTMLInputElement).value.trim();

  byId('key-form', HTMLFormElement).addEventListener('submit', (e) => e.preventDefault());

  byId('lookup-form', HTMLFormElement).addEventListener('submit', (e) => {
    e.preventDefault();
    const userId = field('lookup-user');
    run(`Look up ${userId}`, () => call('GET', `/api/users/${encodeURIComponent(userId)}`, key.value), (body) => [
      h(
        'dl',
        { class: 'user' },
        h('dt', {}, 'Online'),
        h('dd', { 'data-field': 'online' }, body.online === true ? 'yes' : 'no'),
        h('dt', {}, 'Connections'),
        h('dd', { 'data-field': 'connections' }, typeof body.connections === 'number' ? String(body.connections) : '–'),
        ...('pending' in body ? [h('dt', {}, 'Pending stored messages'), h('dd', { 'data-field': 'pending' }, typeof body.pending === 'number' ? String(body.pending) : '–')] : []),
      ),
    ]);
  });

  byId('kick-form', HTMLFormElement).addEventListener('submit', (e) => {
    e.preventDefault();
    const userId = field('kick-user');
    run(`Disconnect ${userId}`, () => call('POST', '/api/disconnect', key.value, { userId }), (body) => [h('p', { 'data-field': 'closed' }, `Closed ${typeof body.closed === 'number' ? body.closed : '?'} connection(s).`)]);
  });

  byId('publish-form', HTMLFormElement).addEventListener('submit', (e) => {
    e.preventDefault();
    const topic = field('publish-topic');
    const raw = byId('publish-data', HTMLTextAreaElement).value;
    let data: unknown = raw;
    try {
      data = JSON.parse(raw);
    } catch {
      // Not JSON: published as text.
    }
    run(`Publish to ${topic}`, () => call('POST', '/api/publish', key.value, { topic, data }), () => [h('p', {}, 'Published.')]);
  });
}
