/** FETCH_MISSING_MESSAGES_REQUEST: one page of stored entries, one fetch at a time per connection. */
import { parseFetchMissing } from '../../protocol/decode-frame.js';
import type { FetchMissingFrame } from '../../protocol/frames.js';
import type { FrameModule } from './frame-module.js';

export const fetchMissingFrame: FrameModule<FetchMissingFrame> = {
  type: 'FETCH_MISSING_MESSAGES_REQUEST',
  parse: (envelope) => parseFetchMissing(envelope),
  handle(connection, frame) {
    const { limits, missing } = connection.services;
    const count = Math.min(frame.data.count ?? limits.defaultFetchCount, limits.maxFetchCount);
    connection.chainFetch(() => missing.fetch(connection, count, frame.reference));
  },
};
