/**
 * Branded ids, so that a ConnectionId cannot be passed where a UserId is expected, and the
 * message-id generator. Pure.
 */
export type AppId = string & { readonly __brand: 'AppId' };
export type UserId = string & { readonly __brand: 'UserId' };
export type ConnectionId = string & { readonly __brand: 'ConnectionId' };
export type MessageId = string & { readonly __brand: 'MessageId' };
export type NodeId = string & { readonly __brand: 'NodeId' };

export const asUserId = (s: string): UserId => s as UserId;
export const asAppId = (s: string): AppId => s as AppId;
export const asConnectionId = (s: string): ConnectionId => s as ConnectionId;
export const asMessageId = (s: string): MessageId => s as MessageId;
export const asNodeId = (s: string): NodeId => s as NodeId;

/**
 * Makes ids unique across nodes and restarts: `<boot time base36>-<node>-<counter base36>`.
 * Ids from one generator sort in creation order when compared by (length, text) within one boot.
 */
export function createIdGenerator(nodeId: NodeId, bootMs: number): () => string {
  const prefix = `${bootMs.toString(36)}-${nodeId}-`;
  let counter = 0;
  return () => prefix + (counter++).toString(36);
}
