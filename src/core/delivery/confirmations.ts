/**
 * Confirmations: MESSAGE_CONFIRMATION to the sender of a referenced message once it was delivered.
 * Always reliable: settled once one of the sender's connections proved it received the frame, or
 * once it is stored for the sender's next fetch.
 */
import { encodeConfirmation } from '../../protocol/frames.js';
import type { Background } from '../background.js';
import { asMessageId, type MessageId, type NodeId, type UserId } from '../ids.js';
import type { LocalConnections } from '../local-connections.js';
import { firstProof, writeTo } from '../peer.js';
import { userChannel, type Channel, type Clock, type Delivery, type StoredEntry } from '../ports.js';
import type { Transport } from '../transport.js';

export interface ConfirmationsOptions {
  readonly nodeId: NodeId;
  /** One node only: a sender connected here has no connection elsewhere. */
  readonly isolated: boolean;
  readonly local: LocalConnections;
  /** The store's append, behind any held messages of the same recipient (HeldMessages.append). */
  readonly append: (entries: readonly StoredEntry[]) => Promise<void>;
  readonly publish: (channel: Channel, delivery: Delivery) => void;
  readonly background: Background;
  readonly clock: Clock;
}

export class Confirmations {
  readonly #o: ConfirmationsOptions;

  constructor(options: ConfirmationsOptions) {
    this.#o = options;
  }

  /**
   * What to run once a referenced message is proven received: its sender's confirmation. The
   * tracker marks the message DELIVERED only once that has settled, so a crash in between leaves
   * the message pending (served again, then confirmed) rather than confirmed to no one.
   */
  confirmer(from: UserId, reference: string | undefined, id: MessageId): (() => Promise<void>) | undefined {
    return reference === undefined ? undefined : () => this.confirm(from, reference, id);
  }

  /** A FAST referenced message: confirmed on proof of receipt, nothing stored for the message itself. */
  confirmOnProof(written: readonly Transport[], sender: UserId, reference: string, id: MessageId): void {
    void firstProof(written).then((proved) => {
      if (proved) this.#o.background.track(this.confirm(sender, reference, id), 'store');
    });
  }

  /**
   * On an isolated bus a sender connected here gets the confirmation written straight to its
   * connections, and it is stored only if none of them proves receipt. Otherwise (a sender
   * offline, or connections possibly on other nodes) it is stored first, then published.
   *
   * The confirmation's id is the message's id with `.c`: when a recipient's connections on two
   * nodes both prove receipt, both nodes confirm, the store keeps one entry (append is idempotent
   * on the id) and the sender's nodes write it once (LocalDelivery drops a repeated id).
   */
  confirm(sender: UserId, reference: string, messageId: MessageId): Promise<void> {
    const frame = encodeConfirmation(reference);
    const peers = this.#o.isolated ? this.#o.local.of(sender) : undefined;
    if (peers !== undefined) {
      const written = writeTo(peers, frame, 'MESSAGE_CONFIRMATION', 'RELIABLE', true);
      if (written.length > 0) return firstProof(written).then((proved) => (proved ? undefined : this.#store(sender, reference, frame, messageId)));
    }
    return this.#store(sender, reference, frame, messageId);
  }

  /** Stores a confirmation, then publishes it to the sender's connections (tracked there like a message). */
  #store(sender: UserId, reference: string, frame: string, messageId: MessageId): Promise<void> {
    const id = confirmationId(messageId);
    const entry: StoredEntry = { kind: 'confirmation', id, to: sender, reference, storedAt: this.#o.clock() };
    return this.#o.append([entry]).then(() => {
      this.#o.publish(userChannel(sender), { kind: 'confirmation', origin: this.#o.nodeId, to: sender, id, frame, reliable: true });
    });
  }
}

/** The id of the confirmation of message `id`: the same on every node that confirms it. */
export function confirmationId(id: MessageId): MessageId {
  return asMessageId(`${id}.c`);
}
