/**
 * The option-table building blocks: one entry per key, from which defaults, flags, env names,
 * YAML keys and --help are all derived. Pure; no I/O.
 */
import { z } from 'zod';

/** One configurable key. */
export interface Option<T> {
  /** Validates and coerces a raw value (a string from a flag or env, or a YAML value). */
  readonly schema: z.ZodType<T>;
  /** Value used when no layer sets the key. */
  readonly defaultValue: T;
  /** One line for --help. */
  readonly description: string;
  /** A short phrase of what is allowed, for error lines. */
  readonly allowed: string;
  /** `boolean` options are flags without a value (`--json`). */
  readonly kind: 'string' | 'boolean';
  /** Hidden from flags (set only from the file or env), e.g. nested lists such as clientApps. */
  readonly fileOnly?: boolean;
}

export type OptionTable = Record<string, Option<unknown>>;

/** The config type of a table: `{ key: T }` for each `Option<T>`. */
export type ConfigOf<T extends OptionTable> = { readonly [K in keyof T]: T[K] extends Option<infer V> ? V : never };

export function opt<T>(schema: z.ZodType<T>, defaultValue: T, description: string, allowed: string, extra: Partial<Pick<Option<T>, 'kind' | 'fileOnly'>> = {}): Option<T> {
  return { schema, defaultValue, description, allowed, kind: extra.kind ?? 'string', ...(extra.fileOnly ? { fileOnly: true } : {}) };
}

/** An integer in [min, max]; accepts numbers and numeric strings. */
export function int(min: number, max: number = Number.MAX_SAFE_INTEGER): z.ZodType<number> {
  return z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : v), z.number().int().min(min).max(max));
}

/** A boolean; accepts true/false, 1/0, yes/no and the same as strings. */
export function bool(): z.ZodType<boolean> {
  return z.preprocess((v) => {
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : v;
    if (typeof v === 'string') {
      const s = v.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(s)) return true;
      if (['false', '0', 'no', 'off'].includes(s)) return false;
    }
    return v;
  }, z.boolean());
}

/** A non-empty string. */
export function str(): z.ZodType<string> {
  return z.string().min(1);
}

/** A ws:// or wss:// (or http(s)://) URL. */
export function url(protocols: readonly string[]): z.ZodType<string> {
  return z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  });
}

/** One URL, or a comma-separated list of URLs (the seed nodes of a Redis Cluster), each of `protocols`. */
export function urls(protocols: readonly string[]): z.ZodType<string> {
  const one = url(protocols);
  return z.string().refine((v) => v.split(',').every((part) => one.safeParse(part.trim()).success));
}

/** A comma-separated list in flags/env, or a YAML list. */
export function list(): z.ZodType<string[]> {
  return z.preprocess(
    (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : v),
    z.array(z.string().min(1)),
  );
}

/** camelCase key → kebab flag name (`maxPayload` → `max-payload`). */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** camelCase key → env name (`maxPayload` → `SWITCHBOARD_MAX_PAYLOAD`). */
export function envName(key: string): string {
  return `SWITCHBOARD_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}
