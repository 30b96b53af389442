import { describePresenceContract } from '../contract/presence.contract.js';
import { MemoryPresence } from './memory-presence.js';

describePresenceContract('memory', () => new MemoryPresence());
