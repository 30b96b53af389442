/**
 * `switchboard bench`: reads the bench config, runs one scenario (or the --compare suite), shows
 * progress on stderr and prints the result on stdout (with --json: only the JSON object).
 */
import { spawnSync } from 'node:child_process';
import { loadConfig } from '../config/load-config.js';
import { benchOptions, type BenchConfig } from '../config/options.js';
import { formatBenchResult, toBenchJson, type BenchResult } from '../bench/bench-result.js';
import type { CompareLab } from '../bench/compare-lab.js';
import { writeHtmlReport } from '../bench/html-report.js';
import { BenchError, runBench as executeBench, type BenchProgress, type BenchRunOptions } from '../bench/run-bench.js';

export async function runBenchConfig(config: BenchConfig, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (config.cluster && !config.compare) {
      process.stderr.write('switchboard bench: --cluster is a mode of --compare; run: switchboard bench --compare --cluster\n');
      process.exitCode = 2;
      return;
    }
    const postgres = config.postgres ?? (env.DATABASE_URL === '' ? undefined : env.DATABASE_URL);
    if (config.cluster && postgres === undefined) {
      process.stderr.write('switchboard bench --compare --cluster: needs a PostgreSQL server for the nodes\' store: pass --postgres postgres://USER@HOST:PORT/DB or set DATABASE_URL\n');
      process.exitCode = 2;
      return;
    }
    if (config.cluster && !hasRedisServer()) {
      process.stderr.write('switchboard bench --compare --cluster: redis-server not found on PATH (the bench starts a private Redis; install Redis)\n');
      process.exitCode = 2;
      return;
    }
    if (config.compare) {
      const lab = await loadCompareLab(config.cluster);
      if (lab === undefined) {
        process.stderr.write('switchboard bench --compare: the comparison lab is not installed; it is part of a development checkout only (clone the repository, then npm install && npm run build)\n');
        process.exitCode = 2;
        return;
      }
      const tables = [];
      for (let run = 1; run <= config.runs; run++) {
        if (config.runs > 1) process.stderr.write(`compare run ${run} of ${config.runs}\n`);
        tables.push(await lab.runCompare(toRunOptions(config), { signal: abort.signal, log: (line) => process.stderr.write(`${line}\n`), ...(config.quiet ? {} : { onProgress: progressPrinter() }), ...(config.cluster && postgres !== undefined ? { postgres } : {}) }));
      }
      const table = lab.medianTable(tables);
      process.stdout.write(config.json ? `${JSON.stringify(table)}\n` : `${lab.formatCompare(table)}\n`);
      return;
    }
    let result: BenchResult;
    try {
      result = await executeBench(toRunOptions(config), { signal: abort.signal, ...(config.quiet ? {} : { onProgress: progressPrinter() }) });
    } catch (err) {
      if (!(err instanceof BenchError)) throw err;
      const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
      process.stderr.write(`switchboard bench: ${err.message}${cause}\n`);
      process.exitCode = 1;
      return;
    }
    if (process.stderr.isTTY && !config.quiet) process.stderr.write('\n');
    if (config.report !== undefined) {
      await writeHtmlReport(config.report, result);
      process.stderr.write(`report written to ${config.report}\n`);
    }
    process.stdout.write(config.json ? `${JSON.stringify(toBenchJson(result))}\n` : `${formatBenchResult(result)}\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The lab beside the package's build (dist-lab/ next to dist/), or undefined when it is not there. */
async function loadCompareLab(cluster: boolean): Promise<CompareLab | undefined> {
  // Two levels up from dist/cli/ (or src/cli/ under test) is the package root.
  const url = new URL('../../dist-lab/bench-lab/index.js', import.meta.url);
  try {
    const lab = (await import(url.href)) as { readonly compareLab: CompareLab; readonly clusterLab: CompareLab };
    return cluster ? lab.clusterLab : lab.compareLab;
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND' && (err as Error).message.includes('dist-lab')) return undefined;
    throw err;
  }
}

/** `switchboard bench` entry point. */
export async function runBench(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  await runBenchConfig(loadConfig('bench', benchOptions, { argv, env }), env);
}

/** True when `redis-server --version` runs (the cluster comparison starts its own Redis). */
function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

function toRunOptions(c: BenchConfig): BenchRunOptions {
  return {
    url: c.url,
    scenario: c.scenario,
    protocol: c.protocol,
    connections: c.connections,
    intervalMs: c.interval,
    ratePerSec: c.rate,
    payloadChars: c.payload,
    durationSec: c.duration,
    warmupSec: c.warmup,
    feature: c.feature,
    groupSize: c.groupSize,
    window: c.window,
    concurrency: c.concurrency,
    appId: c.appId,
    appName: c.appName,
    token: c.token,
    userOffset: c.userOffset,
    ...(c.references ? { references: true } : {}),
    ...(c.serverPid === undefined ? {} : { serverPid: c.serverPid }),
    ...(c.metricsUrl === undefined ? {} : { metricsUrl: c.metricsUrl }),
    ...(c.serverInspect === undefined ? {} : { serverInspect: c.serverInspect }),
    ...(c.generators === 0 ? {} : { generators: c.generators }),
    ...(c.sourceAddresses.length === 0 ? {} : { sourceAddresses: c.sourceAddresses }),
  };
}

/** One progress line per second on stderr (rewritten in place on a terminal). */
function progressPrinter(): (p: BenchProgress) => void {
  const tty = process.stderr.isTTY;
  return (p) => {
    const line =
      p.phase === 'connecting' || p.phase === 'idle'
        ? `[${String(p.elapsedSec).padStart(4)}s] ${p.phase}: ${p.connected} connected`
        : `[${String(p.elapsedSec).padStart(4)}s] ${p.phase}: sent ${p.sent} received ${p.received} (${p.lastSecondReceived}/s) p99 ${p.lastSecondP99.toFixed(1)} ms, generator ${Math.round(p.elu * 100)}% busy, late ${p.lateSends}`;
    process.stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  };
}
