/**
 * Start-up failures a user can cause, as one ConfigError line naming the key as the user set it
 * (the port already in use, a host that is not here, a --data-dir that cannot hold the store).
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { sourceOf } from '../config/load-config.js';

/** A listen() failure of a serving command, or undefined when it is not one a user can fix by config. */
export function listenFailure(err: unknown, config: { readonly host: string; readonly port: number }): ConfigError | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const { host, port } = config;
  switch (code ?? '') {
    case 'EADDRINUSE':
      return new ConfigError(sourceOf(config, 'port'), port, `port ${port} on ${host} is already in use; stop the other process or choose another port (0 picks a free one)`);
    case 'EACCES':
      return new ConfigError(sourceOf(config, 'port'), port, `not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges); choose 1024–65535, or 0 for a free one`);
    case 'EADDRNOTAVAIL':
      return new ConfigError(sourceOf(config, 'host'), host, 'no interface of this machine has this address; use 127.0.0.1, 0.0.0.0 (every interface) or an address of this machine');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
      return new ConfigError(sourceOf(config, 'host'), host, 'this host name does not resolve; use 127.0.0.1, 0.0.0.0 (every interface) or an address of this machine');
    default:
      return undefined;
  }
}

/**
 * Makes sure `dataDir` is a writable directory (creating it if missing), before the store opens.
 * @throws ConfigError naming the key, the path and why it cannot be used
 */
export function prepareDataDir(config: { readonly dataDir: string }): void {
  const dir = config.dataDir;
  const fail = (why: string): ConfigError => new ConfigError(sourceOf(config, 'dataDir'), dir, `${why}; give a writable directory (it is created if missing)`);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw fail(fsReason(err, resolve(dir)));
  }
  if (!statSync(dir).isDirectory()) throw fail(`${resolve(dir)} is a file, not a directory`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw fail(fsReason(err, resolve(dir)));
  }
}

/** A store that will not open on a data dir that passed prepareDataDir (a damaged file, say). */
export function storeFailure(err: unknown, config: { readonly dataDir: string }): ConfigError {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  return new ConfigError(sourceOf(config, 'dataDir'), config.dataDir, `the store cannot be opened: ${message}`);
}

function fsReason(err: unknown, path: string): string {
  switch ((err as NodeJS.ErrnoException).code ?? '') {
    case 'EEXIST':
      return `${path} is a file, not a directory`;
    case 'ENOTDIR':
      return `a part of ${path} is a file, not a directory`;
    case 'EACCES':
    case 'EPERM':
      return `no permission to write in ${path}`;
    case 'EROFS':
      return `${path} is on a read-only file system`;
    default:
      return `${path} cannot be used (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
}
