/** Strict validation of a COMMAND's params against its declaration. Pure. */
import type { ParamSpec, ParamType } from './push-types.js';

export type ParamCheck = { readonly ok: true } | { readonly ok: false; readonly param: string; readonly message: string };

const OK: ParamCheck = { ok: true };

function hasType(value: unknown, type: ParamType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
  }
}

/**
 * Checks `params` against `declared`: every parameter declared, of its type (null counts as
 * absent: refused when required), every required one present. The first problem found names the
 * parameter; undeclared names are reported before missing ones.
 */
export function checkParams(declared: Readonly<Record<string, ParamSpec>>, params: Readonly<Record<string, unknown>>): ParamCheck {
  for (const [name, value] of Object.entries(params)) {
    const spec = Object.hasOwn(declared, name) ? declared[name] : undefined;
    if (spec === undefined) return { ok: false, param: name, message: `params.${name} is not a parameter of this command` };
    if (value === null) {
      if (spec.required === true) return { ok: false, param: name, message: `params.${name} is required (${spec.type})` };
      continue;
    }
    if (!hasType(value, spec.type)) return { ok: false, param: name, message: `params.${name} must be ${spec.type === 'integer' || spec.type === 'array' || spec.type === 'object' ? 'an' : 'a'} ${spec.type}` };
  }
  for (const [name, spec] of Object.entries(declared)) {
    if (spec.required === true && (params[name] === undefined || params[name] === null)) return { ok: false, param: name, message: `params.${name} is required (${spec.type})` };
  }
  return OK;
}
