import { describe, expect, it } from 'vitest';
import { checkParams } from './param-validation.js';

const declared = {
  projectId: { type: 'string', required: true },
  count: { type: 'integer' },
  ratio: { type: 'number' },
  verbose: { type: 'boolean' },
  filter: { type: 'object' },
  ids: { type: 'array' },
} as const;

describe('checkParams', () => {
  it('accepts every declared type and optional parameters left out', () => {
    expect(checkParams(declared, { projectId: 'p', count: 3, ratio: 0.5, verbose: true, filter: { a: 1 }, ids: [1] })).toEqual({ ok: true });
    expect(checkParams(declared, { projectId: 'p' })).toEqual({ ok: true });
    expect(checkParams(declared, { projectId: 'p', count: null })).toEqual({ ok: true });
  });

  it('names a missing required parameter', () => {
    expect(checkParams(declared, {})).toMatchObject({ ok: false, param: 'projectId' });
    expect(checkParams(declared, { projectId: null })).toMatchObject({ ok: false, param: 'projectId' });
  });

  it('names an undeclared parameter, also one named like an Object property', () => {
    expect(checkParams(declared, { projectId: 'p', extra: 1 })).toMatchObject({ ok: false, param: 'extra' });
    expect(checkParams(declared, { projectId: 'p', toString: 1 })).toMatchObject({ ok: false, param: 'toString' });
  });

  it.each([
    ['projectId', 1],
    ['count', 1.5],
    ['count', '3'],
    ['ratio', 'x'],
    ['verbose', 'true'],
    ['filter', [1]],
    ['filter', 'x'],
    ['ids', { 0: 1 }],
  ])('names %s with a value of the wrong type (%j)', (param, value) => {
    const r = checkParams(declared, { projectId: 'p', [param]: value });
    expect(r).toMatchObject({ ok: false, param });
    if (!r.ok) expect(r.message).toContain(param);
  });
});
