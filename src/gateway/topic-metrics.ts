/** The topics plugin's metric verbs on the gateway's prom-client registry. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { TopicMetrics } from '../core/topics/topic-ports.js';

export function createTopicMetrics(registry: Registry): TopicMetrics {
  const topics = new Gauge({ name: 'switchboard_topics', help: 'Topics with at least one subscriber on this node', registers: [registry] });
  const subscriptions = new Gauge({ name: 'switchboard_topic_subscriptions', help: 'Topic subscriptions on this node', registers: [registry] });
  const publicationsIn = new Counter({ name: 'switchboard_publications_in_total', help: 'Publications entered at this node (server API, embedding, upstream events held here)', registers: [registry] });
  const publicationsOut = new Counter({ name: 'switchboard_publications_out_total', help: 'PUBLICATION frames written to connections of this node', registers: [registry] });
  const streams = new Gauge({ name: 'switchboard_upstream_streams', help: 'Upstream SSE streams this node holds open', registers: [registry] });
  const reconnects = new Counter({ name: 'switchboard_upstream_reconnects_total', help: 'Upstream SSE streams opened again after a drop', registers: [registry] });
  return {
    topics: (n) => topics.set(n),
    subscriptions: (n) => subscriptions.set(n),
    publicationIn: () => publicationsIn.inc(),
    publicationsOut: (n) => publicationsOut.inc(n),
    upstreamStreams: (n) => streams.set(n),
    upstreamReconnect: () => reconnects.inc(),
  };
}
