// A sender whose messages pile up behind a slow reader is slowed before the reader is cut: once a
// write finds the reader over half its --max-buffered-bytes, the sender's socket is not read for a
// while (the sender's own TCP window fills), so a reader that is slow for a moment keeps up.
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { TestClient } from '../support/test-client.js';

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.stop();
  gw = undefined;
});

type RawSocket = { _socket: { pause(): void; resume(): void } };

describe('a slow reader slows its sender', () => {
  it('a reader that stops reading for a while is not cut; every message arrives in order', async () => {
    gw = await startGateway({ maxBufferedBytes: 256 * 1024, rateLimit: 0 });
    const reader = await TestClient.connect(gw.url);
    await reader.auth('demo-3');
    const sender = await TestClient.connect(gw.url);
    await sender.auth('demo-4');
    (reader.ws as unknown as RawSocket)._socket.pause();
    const total = Number(process.env.SLOW_READER_TOTAL ?? 3000);
    const payload = 'p'.repeat(3000);
    for (let i = 0; i < total; i++) sender.send({ type: 'MESSAGE', data: { to: 'demo-3', content: { i, payload } }, feature: 'FAST' });
    await new Promise((r) => setTimeout(r, 1_000));
    const senderUnsent = sender.ws.bufferedAmount;
    (reader.ws as unknown as RawSocket)._socket.resume();
    const got: number[] = [];
    const closed = reader.closed.then(() => null);
    while (got.length < total) {
      const frame = await Promise.race([reader.next('MESSAGE', 5_000), closed]);
      if (frame === null) break;
      got.push((frame.data.content as { i: number }).i);
    }
    console.log(`sent ${total}, received ${got.length}, lost ${total - got.length}, reader close ${reader.closeCode ?? 'none'}, unsent at the sender after 1 s: ${(senderUnsent / 1024).toFixed(0)} KiB`);
    expect(reader.closeCode).toBeUndefined();
    expect(got).toEqual([...Array(total).keys()]);
    // Whether the sender saw unsent bytes depends on how much the kernel's loopback buffers hold
    // (all 9 MB on some runs): reported above, not asserted; the reader kept and the order are.
    await Promise.all([reader.close(), sender.close()]);
  }, 20_000);
});
