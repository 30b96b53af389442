// Builds the web console (src/console) into dist/console: one script bundle (the client SDK and
// uPlot included), one stylesheet (uPlot's with ours) and the page. Run by `npm run build`, so
// `npm ci` (through `prepare`) leaves a console that `serve` can answer with; nothing is fetched
// from a CDN and the page works offline.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = `${root}src/console/`;
const out = `${root}dist/console/`;

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
await build({
  entryPoints: { console: `${src}main.ts`, 'console-style': `${src}console.css` },
  outdir: out,
  bundle: true,
  minify: true,
  sourcemap: false,
  platform: 'browser',
  format: 'esm',
  target: ['es2022'],
  legalComments: 'eof',
  logLevel: 'warning',
});
await copyFile(`${src}index.html`, `${out}index.html`);
