import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('./index.ts', import.meta.url));

describe('client entry', () => {
  it('bundles for the browser with no Node built-ins', async () => {
    const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' });
    expect(result.errors).toEqual([]);
    const text = result.outputFiles[0]!.text;
    expect(text).toContain('AUTH_CLIENT');
    expect(text).not.toMatch(/from\s+["']node:/);
  });

  it('stays at most 8 KB minified and gzipped', async () => {
    const result = await build({ entryPoints: [entry], bundle: true, minify: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent' });
    const bytes = result.outputFiles[0]!.contents;
    const gzipped = gzipSync(bytes, { level: 9 }).length;
    console.log(`client bundle: ${bytes.length} bytes minified, ${gzipped} bytes min+gzip`);
    expect(gzipped).toBeLessThanOrEqual(8 * 1024);
  });
});
