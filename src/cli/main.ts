#!/usr/bin/env node
/**
 * The `switchboard` binary: dispatches to a command. The only code (with the other cli/ files)
 * that touches process.argv, process.env, process.exit and signals.
 */
import { ConfigError } from '../config/config-error.js';
import { HelpRequested } from '../config/load-config.js';
import { LineWriter, switchboardVersion } from './logger.js';

const USAGE = `Usage: switchboard <command> [flags]

Commands:
  serve    the gateway (WebSocket on /ws, /healthz, /readyz, /metrics)
  proxy    the reconnect proxy in front of any WebSocket server (--upstream URL)
  bench    the load generator (--url ws://HOST:PORT/ws)
  store    what the message store holds (store stats [--data-dir DIR | --postgres URL])

Run 'switchboard <command> --help' for the flags of a command, 'switchboard --version' for the version.`;

type Command = (argv: readonly string[], env: NodeJS.ProcessEnv) => Promise<void>;

const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve-command.js')).runServe,
  proxy: async () => (await import('./proxy-command.js')).runProxy,
  bench: async () => (await import('./bench-command.js')).runBench,
  store: async () => (await import('./store-command.js')).runStore,
};

/** A reader that went away (`| head`) must not crash a command with an unhandled 'error' event. */
function ignoreBrokenPipe(err: NodeJS.ErrnoException): void {
  if (err.code === 'EPIPE' || err.code === 'EBADF' || err.code === 'ECONNRESET') return; // nobody is reading any more
  throw err;
}

async function main(): Promise<void> {
  process.stdout.on('error', ignoreBrokenPipe);
  process.stderr.on('error', ignoreBrokenPipe);
  const out = new LineWriter(1);
  const err = new LineWriter(2);
  const [name, ...argv] = process.argv.slice(2);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    out.write(`${USAGE}\n`);
    return;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    out.write(`switchboard ${switchboardVersion()}\n`);
    return;
  }
  const load = commands[name];
  if (load === undefined) {
    err.write(`switchboard: unknown command ${JSON.stringify(name)}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    const run = await load();
    await run(argv, process.env);
  } catch (error) {
    if (error instanceof HelpRequested) {
      out.write(error.kind === 'version' ? `switchboard ${switchboardVersion()}\n` : `${error.text}\n`);
      return;
    }
    if (error instanceof ConfigError) {
      err.write(`${error.message}\n`);
      process.exit(ConfigError.exitCode);
    }
    throw error;
  }
}

await main();
