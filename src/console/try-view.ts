/**
 * "Try it": a Switchboard client in the page, built on the project's SDK (createClient). Sends
 * MESSAGE and GROUP_MESSAGE, fetches missing messages, and sends the frames the SDK does not have
 * (SUBSCRIBE, UNSUBSCRIBE, COMMAND, MESSAGE with confirmationEnabled false) raw through the SDK's
 * own socket. Every frame in and out is listed; every list is bounded.
 */
import { createClient, ServerError, type ReceivedMessage, type SwitchboardClient } from '../client/index.js';
import { byId, clockTime, h, prepend, setStatus, shortJson } from './dom.js';
import { tappedSockets, type TappedSockets } from './tapped-socket.js';

const MAX_FRAMES = 500;
const MAX_ITEMS = 200;

interface Frame {
  readonly type?: unknown;
  readonly data?: Record<string, unknown>;
  readonly reference?: unknown;
}

export function startTryView(): void {
  const url = byId('ws-url', HTMLInputElement);
  const status = byId('conn-status', HTMLElement);
  const connectButton = byId('connect', HTMLButtonElement);
  const disconnectButton = byId('disconnect', HTMLButtonElement);
  const sent = byId('sent', HTMLOListElement);
  const received = byId('received', HTMLOListElement);
  const events = byId('events', HTMLOListElement);
  const frames = byId('frames', HTMLOListElement);
  const topicsText = byId('topics', HTMLElement);
  const fetchStatus = byId('fetch-status', HTMLElement);
  const value = (id: string): string => byId(id, HTMLInputElement).value.trim();

  url.value = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;

  let client: SwitchboardClient | undefined;
  let sockets: TappedSockets | undefined;
  let sequence = 0;
  /** Sent items by reference, for the accepted / confirmed / error markers (bounded with the list). */
  const sentByReference = new Map<string, HTMLLIElement>();
  const topics = new Set<string>();

  function setConnected(connected: boolean): void {
    for (const button of document.querySelectorAll<HTMLButtonElement>('.needs-connection')) button.disabled = !connected;
    disconnectButton.disabled = client === undefined || client.state.type === 'closed';
    connectButton.disabled = client !== undefined && client.state.type !== 'closed';
  }

  function logFrame(direction: 'in' | 'out', text: string): void {
    let type = '?';
    try {
      type = String((JSON.parse(text) as Frame).type);
    } catch {
      // Logged as it is.
    }
    const item = h('li', { 'data-direction': direction, 'data-type': type }, h('span', { class: 'time' }, clockTime()), h('span', { class: `dir-${direction}` }, direction === 'in' ? '← in' : '→ out'), h('code', {}, text.length > 2000 ? `${text.slice(0, 2000)}…` : text));
    prepend(frames, item, MAX_FRAMES);
    if (direction === 'in') onFrameIn(text);
  }

  function event(kind: string, text: string): void {
    prepend(events, h('li', { 'data-kind': kind }, h('span', { class: 'badge type' }, kind), ' ', text), MAX_ITEMS);
  }

  /** Frames the SDK does not report as events. */
  function onFrameIn(text: string): void {
    let frame: Frame;
    try {
      frame = JSON.parse(text) as Frame;
    } catch {
      return;
    }
    const d = frame.data ?? {};
    switch (frame.type) {
      case 'PUBLICATION':
        event('PUBLICATION', `${String(d.topic)}: ${shortJson(d.data)}`);
        return;
      case 'SUBSCRIBED':
        topics.add(String(d.topic));
        topicsText.textContent = [...topics].join(', ');
        event('SUBSCRIBED', String(d.topic));
        return;
      case 'UNSUBSCRIBED':
        topics.delete(String(d.topic));
        topicsText.textContent = topics.size === 0 ? 'none' : [...topics].join(', ');
        event('UNSUBSCRIBED', String(d.topic));
        return;
      case 'COMMAND_REPLY':
        event('COMMAND_REPLY', `${String(d.name)} (${typeof frame.reference === 'string' ? frame.reference : ''}): ${shortJson(d.result)}`);
        return;
      case 'NOTIFICATION':
        event('NOTIFICATION', `${String(d.job)}: ${shortJson(d.data)}`);
        return;
      case 'NEW_VERSION':
        event('NEW_VERSION', shortJson(d.version));
        return;
      default:
        return;
    }
  }

  function mark(reference: string, kind: 'accepted' | 'confirmed' | 'error', title: string = kind): void {
    const item = sentByReference.get(reference);
    if (item === undefined || item.querySelector(`.badge.${kind}`) !== null) return;
    item.append(h('span', { class: `badge ${kind}`, title }, kind));
  }

  function showReceived(message: ReceivedMessage, fetched: boolean): void {
    const item = h('li', { 'data-from': message.from }, h('strong', {}, message.from), ': ', shortJson(message.content), fetched ? h('span', { class: 'badge type' }, 'fetched') : null);
    item.title = `id ${message.id}${message.reference === undefined ? '' : `, reference ${message.reference}`}`;
    prepend(received, item, MAX_ITEMS);
  }

  function addSent(kind: string, to: string, content: string, feature: string, reference: string | undefined): void {
    const item = h('li', { 'data-reference': reference ?? '' }, h('span', { class: 'badge type' }, `${kind} ${feature}`), ' → ', h('strong', {}, to), `: ${content}`, reference === undefined ? null : h('span', { class: 'hint' }, ` (${reference})`));
    prepend(sent, item, MAX_ITEMS);
    if (reference !== undefined) {
      sentByReference.set(reference, item);
      // The map follows the bounded list.
      for (const [ref, el] of sentByReference) if (!el.isConnected) sentByReference.delete(ref);
    }
  }

  /** Sends a frame through the SDK's socket (for what the SDK has no method for). */
  function sendRaw(frame: Record<string, unknown>): void {
    const socket = sockets?.current();
    if (client?.state.type !== 'connected' || socket === undefined) throw new Error('not connected');
    socket.send(JSON.stringify(frame));
  }

  function guard(action: () => void): void {
    try {
      action();
    } catch (err) {
      setStatus(status, err instanceof Error ? err.message : String(err), 'bad');
    }
  }

  byId('connect-form', HTMLFormElement).addEventListener('submit', (e) => {
    e.preventDefault();
    if (client !== undefined && client.state.type !== 'closed') return;
    const userId = value('user-id');
    sockets = tappedSockets(logFrame);
    const c = createClient({ url: url.value.trim(), appId: value('app-id'), userId, token: byId('token', HTMLInputElement).value, WebSocket: sockets.WebSocket });
    client = c;
    c.on('state', (state) => {
      if (c !== client) return;
      if (state.type === 'connected') setStatus(status, `Connected as ${state.userId}.`, 'ok');
      else if (state.type === 'connecting') setStatus(status, 'Connecting…');
      else if (state.type === 'closed') setStatus(status, state.error === undefined ? 'Disconnected.' : `Closed: ${state.error.message}`, state.error === undefined ? '' : 'bad');
      setConnected(state.type === 'connected');
    });
    c.on('message', (m) => showReceived(m, false));
    c.on('accepted', ({ reference, id }) => mark(reference, 'accepted', `accepted as ${id}`));
    c.on('confirmation', ({ reference }) => mark(reference, 'confirmed'));
    c.on('userConnected', ({ userId: who }) => event('USER_CONNECTED', who));
    c.on('userDisconnected', ({ userId: who }) => event('USER_DISCONNECTED', who));
    c.on('error', (err) => {
      if (err instanceof ServerError && err.reference !== undefined) mark(err.reference, 'error', err.message);
      event('ERROR', err.message);
    });
    c.connect().catch(() => undefined); // the state event reports it
    setConnected(false);
  });

  disconnectButton.addEventListener('click', () => client?.close());

  byId('send-form', HTMLFormElement).addEventListener('submit', (e) => {
    e.preventDefault();
    guard(() => {
      const to = value('send-to');
      const content = byId('send-content', HTMLInputElement).value;
      const feature = byId('send-feature', HTMLSelectElement).value === 'FAST' ? 'FAST' : 'RELIABLE';
      const reference = value('send-reference') || `ref-${Date.now().toString(36)}-${++sequence}`;
      // A refusal also arrives as an ERROR frame, which the frame list shows: the promise has nothing more to say here.
      if (byId('send-confirm', HTMLInputElement).checked) void client?.send(to, content, { feature, reference }).catch(() => undefined);
      else sendRaw({ type: 'MESSAGE', data: { to, content }, feature, reference, confirmationEnabled: false });
      addSent('MESSAGE', to, content, feature, reference);
    });
  });

  byId('group-form', HTMLFormElement).addEventListener('submit', (e) => {
    e.preventDefault();
    guard(() => {
      const to = value('group-to').split(',').map((s) => s.trim()).filter((s) => s !== '');
      const content = byId('group-content', HTMLInputElement).value;
      const feature = byId('group-feature', HTMLSelectElement).value === 'FAST' ? 'FAST' : 'RELIABLE';
      client?.sendGroup(to, content, { feature });
      addSent('GROUP_MESSAGE', to.join(', '), content, feature, undefined);
    });
  });

  byId('topic-form', HTMLFormElement).addEventListener('submit', (e) => {
    e.preventDefault();
    guard(() => sendRaw({ type: 'SUBSCRIBE', data: { topic: value('topic') } }));
  });
  byId('unsubscribe', HTMLButtonElement).addEventListener('click', () => guard(() => sendRaw({ type: 'UNSUBSCRIBE', data: { topic: value('topic') } })));

  byId('command-form', HTMLFormElement).addEventListener('submit', (e) => {
    e.preventDefault();
    guard(() => {
      let params: unknown;
      try {
        params = JSON.parse(byId('command-params', HTMLTextAreaElement).value || '{}');
      } catch {
        throw new Error('Params must be a JSON object.');
      }
      sendRaw({ type: 'COMMAND', data: { name: value('command-name'), params }, reference: `cmd-${Date.now().toString(36)}-${++sequence}` });
    });
  });

  byId('fetch-form', HTMLFormElement).addEventListener('submit', (e) => {
    e.preventDefault();
    const c = client;
    if (c === undefined) return;
    setStatus(fetchStatus, 'Fetching…');
    c.fetchMissing(Number(byId('fetch-count', HTMLInputElement).value)).then(
      ({ messages, leftMissingCount }) => {
        for (const m of messages) showReceived(m, true);
        setStatus(fetchStatus, `Fetched ${messages.length}; ${leftMissingCount} left.`, 'ok');
      },
      (err: unknown) => setStatus(fetchStatus, err instanceof Error ? err.message : String(err), 'bad'),
    );
  });

  byId('clear-frames', HTMLButtonElement).addEventListener('click', () => frames.replaceChildren());
  setConnected(false);
}
