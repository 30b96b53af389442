/** The recipient check MESSAGE and GROUP_MESSAGE share: answers the client when a recipient cannot be addressed. */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { FrameContext } from './frame-module.js';

export function recipientsOk(connection: FrameContext, to: string | readonly string[], reference: string | undefined): boolean {
  if (typeof to === 'string') return recipientOk(connection, to, reference);
  for (const r of to) if (!recipientOk(connection, r, reference)) return false;
  return true;
}

function recipientOk(connection: FrameContext, to: string, reference: string | undefined): boolean {
  const check = connection.services.apps.checkRecipient(connection.app!, to);
  if (check === 'ok') return true;
  if (check === 'forbidden') connection.sendError(ErrorCode.Forbidden, `${JSON.stringify(to.slice(0, 64))} is not a user of this app`, reference);
  else connection.sendError(ErrorCode.BadRequest, `${JSON.stringify(to.slice(0, 64))} is not a userId (<appName>-<digits>)`, reference);
  return false;
}
