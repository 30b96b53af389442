/** The client frames of contract §3, as a registry; extensions register their modules here too. */
import { authClientFrame } from './auth-client.js';
import { closeConnectionFrame } from './close-connection.js';
import { fetchMissingFrame } from './fetch-missing.js';
import { FrameRegistry } from './frame-module.js';
import { groupMessageFrame } from './group-message.js';
import { messageFrame } from './message.js';

export function createFrameRegistry(): FrameRegistry {
  return new FrameRegistry().register(authClientFrame).register(messageFrame).register(groupMessageFrame).register(fetchMissingFrame).register(closeConnectionFrame);
}
