/**
 * Turns a zod issue found in `clientApps` into one ConfigError line that names the entry (its index
 * and appId) and the field, and says what the field allows. Pure.
 */
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { clientAppFieldAllowed } from './options.js';
import { didYouMean } from './suggest.js';

const FIELDS = Object.keys(clientAppFieldAllowed);
const APPS_ALLOWED = `a list of apps, each with ${FIELDS.join(', ')}`;

/**
 * @param source how the user wrote the key: `app.yaml: clientApps`, `SWITCHBOARD_CLIENT_APPS`
 * @param raw the value as given (a JSON string from env/flags, a YAML list from a file)
 */
export function clientAppsError(source: string, raw: unknown, issue: z.core.$ZodIssue): ConfigError {
  const apps = parsed(raw);
  const [index, field] = issue.path;
  if (typeof raw === 'string' && apps === raw) return new ConfigError(source, undefined, `clientApps must be JSON here (${APPS_ALLOWED}); the value is not valid JSON`);
  if (typeof index !== 'number') {
    // A rule over the whole list (two apps sharing an auth issuer and audience) says itself what is wrong.
    const listRule = issue.code === 'custom' && Array.isArray(apps) && apps.length > 0;
    const detail = listRule ? issue.message : Array.isArray(apps) && apps.length === 0 ? 'at least one app is needed' : `clientApps must be ${APPS_ALLOWED}`;
    return new ConfigError(source, undefined, detail);
  }
  const entry: unknown = Array.isArray(apps) ? apps[index] : undefined;
  const where = `${source}[${index}]`;
  const label = labelOf(entry, index);
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    return new ConfigError(where, undefined, `${label} must be a mapping with the fields ${FIELDS.join(', ')}`);
  }
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((k) => JSON.stringify(k)).join(', ');
    const hint = issue.keys.length === 1 ? didYouMean(issue.keys[0]!, FIELDS) : '';
    return new ConfigError(where, undefined, `${label} has the unknown field${issue.keys.length === 1 ? '' : 's'} ${names}${hint}; allowed fields: ${FIELDS.join(', ')}`);
  }
  if (typeof field !== 'string') return new ConfigError(where, undefined, `${label}: ${issue.message}`);
  // A secret is never echoed back, not even a wrong one.
  const value = field === 'apiKey' ? '***' : (entry as Record<string, unknown>)[field];
  const fieldWhere = `${where}.${field}`;
  if (value === undefined && issue.code !== 'custom') {
    return new ConfigError(fieldWhere, undefined, `${label} has no ${field}; ${field} is required and must be ${clientAppFieldAllowed[field] ?? 'given'}`);
  }
  if (issue.code === 'custom') {
    const appName = (entry as Record<string, unknown>).appName;
    const example = field === 'masterUserId' && typeof appName === 'string' ? ` (here ${appName}-<digits>, e.g. ${appName}-1)` : '';
    return new ConfigError(fieldWhere, value, `${label}: ${issue.message}${example}`);
  }
  return new ConfigError(fieldWhere, value, `${label}: ${field} must be ${clientAppFieldAllowed[field] ?? issue.message}`);
}

/** The value as the schema saw it: JSON strings (env, flags) are parsed the same way. */
function parsed(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function labelOf(entry: unknown, index: number): string {
  const appId = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>).appId : undefined;
  return typeof appId === 'string' && appId !== '' ? `app ${JSON.stringify(appId)}` : `app #${index}`;
}
