/**
 * Resume under a flapping network (issue 17, case 1): every connection of both SDK clients is
 * cut 300–800 ms after it opens, half by a reset and half by silence first (reset later), for
 * 12 s, while each sends 1,500 RELIABLE messages and FAST ones to the other. Every RELIABLE
 * message reaches the other app exactly once and in order; no send is refused; FAST messages
 * may be lost only where a resume was refused.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SwitchboardClient } from '../../src/client/index.js';
import { startFaultRelay, type FaultRelay } from '../support/fault-relay.js';
import { gatewayScope } from '../support/gateway.js';
import { Ledger, sdkClient, startResumeGateway, until } from '../support/resume.js';

const scope = gatewayScope();
const relays: FaultRelay[] = [];
const sdks: SwitchboardClient[] = [];
afterEach(async () => {
  for (const c of sdks.splice(0)) c.close();
  for (const r of relays.splice(0)) await r.close();
});

const RELIABLE = 1_500;
const FAST = 300;
const RUN_MS = 12_000;

describe('resume through a relay that cuts every connection', () => {
  it('delivers every RELIABLE message exactly once, in per-sender order', async () => {
    const g = await startResumeGateway(scope);
    const relay = await startFaultRelay({ targetPort: Number(new URL(g.url).port), cutAfterMs: { min: 300, max: 800 }, silenceRatio: 0.5, silenceMs: { min: 200, max: 700 }, seed: Number(process.env.CHAOS_SEED ?? 17) });
    relays.push(relay);
    const users = ['demo-31', 'demo-32'] as const;
    const clients = users.map((u) => sdkClient(relay.url(), u));
    sdks.push(...clients);
    const ledgers = users.map(() => ({ reliable: new Ledger(), fast: new Ledger() }));
    clients.forEach((c, i) =>
      c.on('message', (m) => {
        const body = m.content as { n: number; fast?: boolean };
        (body.fast === true ? ledgers[i]!.fast : ledgers[i]!.reliable).add(m.from, body);
      }),
    );
    await Promise.all(clients.map((c) => c.connect()));

    const counts = { sent: 0, accepted: 0, refused: 0 };
    const sends: Promise<unknown>[] = [];
    const started = Date.now();
    // Spread over ~10 s of the run: one RELIABLE per client every ~6.7 ms, a FAST every fifth.
    const total = RELIABLE + FAST;
    for (let k = 0; k < total; k++) {
      const target = started + (k * (RUN_MS - 2_000)) / total;
      const wait = target - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const fast = k % 6 === 5 && k / 6 < FAST;
      clients.forEach((c, i) => {
        const n = fast ? Math.floor(k / 6) : k - Math.min(FAST, Math.floor((k + 1) / 6));
        counts.sent++;
        sends.push(
          c.send(users[1 - i]!, fast ? { n, fast: true } : { n }, { feature: fast ? 'FAST' : 'RELIABLE' }).then(
            () => counts.accepted++,
            () => counts.refused++,
          ),
        );
      });
    }
    const wait = started + RUN_MS - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    // The chaos stops; what is still on its way arrives.
    relay.configure({ cutAfterMs: undefined });
    relay.cutAll('reset');
    await until(() => ledgers.every((l, i) => l.reliable.count(users[1 - i]!) >= RELIABLE), 15_000, 'every RELIABLE message');
    await Promise.all(sends);
    await new Promise((r) => setTimeout(r, 300));

    const reliableSent = RELIABLE * 2;
    const received = ledgers.reduce((s, l, i) => s + l.reliable.count(users[1 - i]!), 0);
    const duplicated = ledgers.reduce((s, l) => s + l.reliable.duplicated, 0);
    const outOfOrder = ledgers.reduce((s, l) => s + l.reliable.outOfOrder, 0);
    const fastReceived = ledgers.reduce((s, l, i) => s + l.fast.count(users[1 - i]!), 0);
    const resumed = clients.reduce((s, c) => s + c.stats.resumed, 0);
    const refusedResumes = clients.reduce((s, c) => s + c.stats.refused, 0);
    const repeats = clients.reduce((s, c) => s + c.stats.repeats, 0);
    console.log(
      `chaos 12 s: sent ${counts.sent} (RELIABLE ${reliableSent}, FAST ${FAST * 2}), accepted ${counts.accepted}, refused sends ${counts.refused}; ` +
        `RELIABLE received ${received}, lost ${reliableSent - received + duplicated}, duplicated ${duplicated}, out of order ${outOfOrder}; ` +
        `FAST received ${fastReceived}, lost ${FAST * 2 - fastReceived}; resumes ${resumed}, refused resumes ${refusedResumes}, replayed twice ${repeats}; ` +
        `relay: connections ${relay.stats.connections}, resets ${relay.stats.resets}, silenced ${relay.stats.silenced}`,
    );
    expect(counts.refused).toBe(0);
    expect(counts.accepted).toBe(counts.sent);
    expect(duplicated).toBe(0);
    expect(outOfOrder).toBe(0);
    expect(received).toBe(reliableSent);
    expect(repeats).toBe(0);
    expect(relay.stats.connections).toBeGreaterThan(20);
    expect(relay.stats.silenced).toBeGreaterThan(5);
    if (refusedResumes === 0) expect(fastReceived).toBe(FAST * 2);
  }, 45_000);
});
