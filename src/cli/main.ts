#!/usr/bin/env node
/**
 * The `switchboard` binary: dispatches to a command. The only code (with the other cli/ files)
 * that touches process.argv, process.env, process.exit and signals.
 */
import { ConfigError } from '../config/config-error.js';
import { HelpRequested } from '../config/load-config.js';

const USAGE = `Usage: switchboard <command> [flags]

Commands:
  serve    the gateway (WebSocket on /ws, /healthz, /readyz, /metrics)
  proxy    the reconnect proxy in front of any WebSocket server (--upstream URL)
  bench    the load generator (--url ws://HOST:PORT/ws)
  store    what the message store holds (store stats [--data-dir DIR | --postgres URL])

Run 'switchboard <command> --help' for the flags of a command.`;

type Command = (argv: readonly string[], env: NodeJS.ProcessEnv) => Promise<void>;

const commands: Record<string, () => Promise<Command>> = {
  serve: async () => (await import('./serve-command.js')).runServe,
  proxy: async () => (await import('./proxy-command.js')).runProxy,
  bench: async () => (await import('./bench-command.js')).runBench,
  store: async () => (await import('./store-command.js')).runStore,
};

async function main(): Promise<void> {
  const [name, ...argv] = process.argv.slice(2);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const load = commands[name];
  if (load === undefined) {
    process.stderr.write(`switchboard: unknown command ${JSON.stringify(name)}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    const run = await load();
    await run(argv, process.env);
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.text}\n`);
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(ConfigError.exitCode);
    }
    throw err;
  }
}

await main();
