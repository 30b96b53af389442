import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from './openapi.js';

describe('openApiDocument', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(openApiDocument));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('fails a broken document (the validator is really checking)', async () => {
    const broken = { ...structuredClone(openApiDocument), paths: { '/api/publish': { post: { responses: 'none' } } } };
    expect((await new Validator().validate(broken as unknown as Parameters<Validator["validate"]>[0])).valid).toBe(false);
  });

  it('describes every request of the contract', () => {
    expect(Object.keys(openApiDocument.paths).sort()).toEqual(['/api/disconnect', '/api/nodes', '/api/openapi.json', '/api/publish', '/api/send', '/api/users/{userId}']);
  });
});
