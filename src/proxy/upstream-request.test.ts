import { describe, expect, it } from 'vitest';
import { buildUpstreamUrl, forwardHeaders, offeredProtocols, parseClientTarget } from './upstream-request.js';

describe('parseClientTarget', () => {
  it('takes connectionId out and keeps the other parameters byte for byte, in order', () => {
    expect(parseClientTarget('/ws?a=1&connectionId=abc-1&b=%20x')).toEqual({ ok: true, path: '/ws', query: 'a=1&b=%20x', connectionId: 'abc-1' });
  });

  it('gives no connectionId when none is given', () => {
    expect(parseClientTarget('/')).toEqual({ ok: true, path: '/', query: '', connectionId: undefined });
  });

  it('refuses a connectionId given twice, empty, or with characters outside the allowed set', () => {
    expect(parseClientTarget('/?connectionId=a&connectionId=b').ok).toBe(false);
    expect(parseClientTarget('/?connectionId=').ok).toBe(false);
    expect(parseClientTarget('/?connectionId=a%0d%0aX-Evil:%201').ok).toBe(false);
    expect(parseClientTarget(`/?connectionId=${'a'.repeat(129)}`).ok).toBe(false);
  });

  it('refuses malformed percent-encoding', () => {
    expect(parseClientTarget('/?x=%E0%A4%A').ok).toBe(false);
  });
});

describe('buildUpstreamUrl', () => {
  it('appends the client path and query to the upstream path and query', () => {
    expect(buildUpstreamUrl('ws://h:1/base?k=v', '/ws', 'a=1')).toBe('ws://h:1/base/ws?k=v&a=1');
    expect(buildUpstreamUrl('ws://h:1', '/ws', '')).toBe('ws://h:1/ws');
    expect(buildUpstreamUrl('ws://h:1/', '/', '')).toBe('ws://h:1/');
    expect(buildUpstreamUrl('ws://h:1/base/', '/', 'a=1')).toBe('ws://h:1/base?a=1');
  });
});

describe('forwardHeaders', () => {
  it('drops hop-by-hop and handshake headers, keeps end-to-end ones, sets x-connection-id', () => {
    const out = forwardHeaders(
      {
        host: 'proxy',
        connection: 'Upgrade, X-Hop',
        upgrade: 'websocket',
        'x-hop': '1',
        'sec-websocket-key': 'k',
        'sec-websocket-version': '13',
        'sec-websocket-extensions': 'permessage-deflate',
        'sec-websocket-protocol': 'p',
        'x-connection-id': 'spoofed',
        authorization: 'Bearer t',
        cookie: ['a=1', 'b=2'],
        'user-agent': 'ua',
      },
      'id-1',
      '127.0.0.1',
    );
    expect(out).toEqual({ authorization: 'Bearer t', cookie: 'a=1; b=2', 'user-agent': 'ua', 'x-forwarded-for': '127.0.0.1', 'x-connection-id': 'id-1' });
  });

  it('appends to an existing x-forwarded-for', () => {
    expect(forwardHeaders({ 'x-forwarded-for': '10.0.0.1' }, 'i', '127.0.0.1')['x-forwarded-for']).toBe('10.0.0.1, 127.0.0.1');
  });
});

describe('offeredProtocols', () => {
  it('splits the header in order', () => {
    expect(offeredProtocols(' a, b ,c')).toEqual(['a', 'b', 'c']);
    expect(offeredProtocols(undefined)).toEqual([]);
  });
});
