import { describe, expect, it } from 'vitest';
import { createGatewayMetrics } from './metrics.js';

describe('createGatewayMetrics', () => {
  it('exposes the delivery latency histogram with cumulative buckets, sum and count', async () => {
    const metrics = createGatewayMetrics();
    for (const ms of [0.2, 0.7, 3, 3, 40, 9_000]) metrics.deliveryLatency(ms);
    const text = await metrics.registry.metrics();
    const line = (suffix: string): string | undefined => text.split('\n').find((l) => l.startsWith(`switchboard_delivery_latency_seconds${suffix}`));
    expect(text).toContain('# TYPE switchboard_delivery_latency_seconds histogram');
    expect(line('_bucket{le="0.0005"}')).toBe('switchboard_delivery_latency_seconds_bucket{le="0.0005"} 1');
    expect(line('_bucket{le="0.001"}')).toBe('switchboard_delivery_latency_seconds_bucket{le="0.001"} 2');
    expect(line('_bucket{le="0.005"}')).toBe('switchboard_delivery_latency_seconds_bucket{le="0.005"} 4');
    expect(line('_bucket{le="0.05"}')).toBe('switchboard_delivery_latency_seconds_bucket{le="0.05"} 5');
    expect(line('_bucket{le="2.5"}')).toBe('switchboard_delivery_latency_seconds_bucket{le="2.5"} 5');
    expect(line('_bucket{le="+Inf"}')).toBe('switchboard_delivery_latency_seconds_bucket{le="+Inf"} 6');
    expect(line('_count')).toBe('switchboard_delivery_latency_seconds_count 6');
    expect(Number(line('_sum')!.split(' ')[1])).toBeCloseTo(9.0469, 6);
    const json = await metrics.registry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'switchboard_delivery_latency_seconds')).toMatchObject({ type: 'histogram' });
    metrics.registry.resetMetrics();
    expect(await metrics.registry.metrics()).toContain('switchboard_delivery_latency_seconds_count 0');
  });

  it('counts frames and routed messages by their labels', async () => {
    const metrics = createGatewayMetrics();
    // Runs of one pair and switches between pairs (the counter keeps the last pair's slot).
    metrics.frameOut('MESSAGE', 'FAST');
    metrics.frameOut('MESSAGE', 'FAST');
    metrics.frameOut('ERROR', '');
    metrics.frameOut('MESSAGE', 'RELIABLE');
    metrics.frameOut('MESSAGE', 'FAST');
    metrics.frameIn('MESSAGE');
    metrics.messageRouted('GROUP_MESSAGE', 'RELIABLE');
    const text = await metrics.registry.metrics();
    expect(text).toContain('switchboard_frames_out_total{type="MESSAGE",feature="FAST"} 3');
    expect(text).toContain('switchboard_frames_out_total{type="MESSAGE",feature="RELIABLE"} 1');
    expect(text).toContain('switchboard_frames_out_total{type="ERROR",feature=""} 1');
    expect(text).toContain('switchboard_frames_in_total{type="MESSAGE"} 1');
    expect(text).toContain('switchboard_messages_routed_total{type="GROUP_MESSAGE",feature="RELIABLE"} 1');
  });

  it('counts read pauses by reason and shows the connections paused now', async () => {
    const metrics = createGatewayMetrics();
    metrics.readPaused('rate');
    metrics.readPaused('rate');
    metrics.readPaused('slow_reader');
    metrics.readResumed();
    const text = await metrics.registry.metrics();
    expect(text).toContain('switchboard_read_pauses_total{reason="rate"} 2');
    expect(text).toContain('switchboard_read_pauses_total{reason="slow_reader"} 1');
    expect(text).toContain('switchboard_connections_read_paused 2');
  });
});
