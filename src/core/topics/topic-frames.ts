/** SUBSCRIBE and UNSUBSCRIBE as frame modules, handled by the topics plugin that made them. */
import { parseSubscribe, parseUnsubscribe, type SubscribeFrame, type UnsubscribeFrame } from '../../protocol/topic-frames.js';
import type { FrameContext, FrameModule } from '../frames/frame-module.js';

export interface TopicFrameHandler {
  subscribe(connection: FrameContext, topic: string, reference: string | undefined): void;
  unsubscribe(connection: FrameContext, topic: string, reference: string | undefined): void;
}

export function topicFrameModules(handler: TopicFrameHandler): [FrameModule<SubscribeFrame>, FrameModule<UnsubscribeFrame>] {
  return [
    { type: 'SUBSCRIBE', parse: parseSubscribe, handle: (connection, frame) => handler.subscribe(connection, frame.data.topic, frame.reference) },
    { type: 'UNSUBSCRIBE', parse: parseUnsubscribe, handle: (connection, frame) => handler.unsubscribe(connection, frame.data.topic, frame.reference) },
  ];
}
