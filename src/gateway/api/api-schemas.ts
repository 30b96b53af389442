/** The server API's request bodies (contract §8) as zod schemas, and one line per validation failure. */
import { z } from 'zod';

const anyJson = z.unknown().refine((v) => v !== undefined, { message: 'is required (any JSON value)' });

export const publishBody = z.object({ topic: z.string().min(1), data: anyJson });
export const sendBody = z.object({ to: z.string().min(1).max(256), content: anyJson, feature: z.enum(['RELIABLE', 'FAST']).optional() });
export const disconnectBody = z.object({ userId: z.string().min(1).max(256) });

/** `field: problem` for the first issue, e.g. `topic: expected string, received undefined`. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid body';
  const path = issue.path.length === 0 ? 'body' : issue.path.join('.');
  return `${path}: ${issue.message}`;
}
