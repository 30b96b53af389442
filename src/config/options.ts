/**
 * The option tables, one per command. Everything else — defaults, YAML keys (camelCase), flags
 * (kebab-case), env variables (SWITCHBOARD_UPPER_SNAKE) and --help — is derived from these.
 */
import { z } from 'zod';
import { bool, int, list, opt, str, url, urls, type ConfigOf, type OptionTable } from './option.js';

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** Per-app JWT / OpenID Connect auth (contract §10). */
const jwtAuthSchema = z
  .object({
    type: z.literal('jwt'),
    issuer: url(['http:', 'https:']),
    audience: z.string().min(1),
    jwksUrl: url(['http:', 'https:']).optional(),
    userClaim: z.string().min(1).default('sub'),
  })
  .strict();

/** What each clientApps field allows, for error lines (fields without an entry use zod's message). */
export const clientAppFieldAllowed: Readonly<Record<string, string>> = {
  appName: 'letters, digits, "_" or "." (no "-"; it is the userId prefix)',
  appId: 'a non-empty string',
  masterUserId: '<appName>-<digits>',
  authEnabled: 'true or false',
  authUrl: 'an http:// or https:// URL',
  auth: '{type: jwt, issuer, audience, jwksUrl?, userClaim?}',
  messageTtl: 'an integer ≥ 0 (ms)',
  keepPresence: 'true or false',
  apiKey: 'a secret of 16–512 characters',
  topics: 'a list of {pattern, sse?}',
  commands: 'a list of {name, params?, url, startsJob?}',
  jobs: 'a list of {name, every, url}',
  version: '{url, every}',
};

/** `{name}` one segment, `*` the rest (last segment only), anything else literal text without `{`, `}` or `*`. */
function topicPatternProblem(pattern: string): string | undefined {
  const parts = pattern.split('/');
  for (const [i, part] of parts.entries()) {
    if (part === '*') {
      if (i !== parts.length - 1) return `topic pattern ${pattern}: "*" may only be the last segment`;
    } else if (!/^\{[A-Za-z_][A-Za-z0-9_]*\}$/.test(part) && /[{}*]/.test(part)) {
      return `topic pattern ${pattern}: segment "${part}" must be text, {name} or *`;
    }
  }
  return undefined;
}

/** One `topics` entry (contract §9): a pattern and, optionally, the upstream SSE URL template it is bridged from. */
const topicSchema = z
  .object({
    pattern: z.string().min(1).max(1024),
    sse: url(['http:', 'https:']).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const problem = topicPatternProblem(t.pattern);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
    const names = new Set([...t.pattern.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]));
    for (const m of (t.sse ?? '').matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
      if (!names.has(m[1])) ctx.addIssue({ code: 'custom', message: `sse URL names {${m[1]!}}, which pattern ${t.pattern} does not have` });
    }
  });

/** Contract §9: a command's parameters, its webhook, and the job it may start. */
const paramSchema = z.object({ type: z.enum(['string', 'number', 'integer', 'boolean', 'object', 'array']), required: z.boolean().optional() }).strict();
const commandSchema = z
  .object({
    name: z.string().min(1).max(128),
    params: z.record(z.string().min(1), paramSchema).optional(),
    url: z.string().url(),
    startsJob: z.string().min(1).optional(),
  })
  .strict();
const jobSchema = z.object({ name: z.string().min(1).max(128), every: z.number().int().min(10), url: z.string().url() }).strict();
const versionSchema = z.object({ url: z.string().url(), every: z.number().int().min(10) }).strict();

/** One client app (contract §4). `appName` is the userId prefix: `<appName>-<digits>`. */
export const clientAppSchema = z
  .object({
    appName: z.string().regex(/^[A-Za-z0-9_.]+$/),
    appId: z.string().min(1),
    masterUserId: z.string().min(1),
    authEnabled: z.boolean().default(false),
    authUrl: url(['http:', 'https:']).optional(),
    auth: jwtAuthSchema.optional(),
    messageTtl: z.number().int().min(0).optional(),
    /** Keep presence events for a master user who is away (contract §13). */
    keepPresence: z.boolean().optional(),
    /** Server API key (contract §8): `Authorization: Bearer <apiKey>`. */
    apiKey: z.string().min(16, 'apiKey: at least 16 characters').max(512).optional(),
    topics: z.array(topicSchema).max(1000).optional(),
    commands: z.array(commandSchema).optional(),
    jobs: z.array(jobSchema).optional(),
    version: versionSchema.optional(),
  })
  .strict()
  .refine((a) => new Set((a.commands ?? []).map((c) => c.name)).size === (a.commands ?? []).length, { message: 'command names must be unique within an app', path: ['commands'] })
  .refine((a) => new Set((a.jobs ?? []).map((j) => j.name)).size === (a.jobs ?? []).length, { message: 'job names must be unique within an app', path: ['jobs'] })
  .refine((a) => (a.commands ?? []).every((c) => c.startsJob === undefined || (a.jobs ?? []).some((j) => j.name === c.startsJob)), { message: 'a command\'s startsJob must name a job of the same app', path: ['commands'] })
  .refine((a) => !a.authEnabled || a.authUrl !== undefined, { message: 'authUrl is required when authEnabled is true', path: ['authUrl'] })
  .refine((a) => a.auth === undefined || (!a.authEnabled && a.authUrl === undefined), {
    message: 'an app has either the auth webhook (authEnabled, authUrl) or auth (type: jwt), not both',
    path: ['auth'],
  })
  .refine((a) => new RegExp(`^${a.appName.replace(/\./g, '\\.')}-\\d+$`).test(a.masterUserId), {
    message: 'masterUserId must be <appName>-<digits>',
    path: ['masterUserId'],
  });
export type ClientApp = z.infer<typeof clientAppSchema>;

/** Issues on the second and later use of a value that must be unique across apps. */
function unique(field: 'appId' | 'appName') {
  return (apps: readonly ClientApp[], ctx: z.RefinementCtx): void => {
    const seen = new Map<string, number>();
    apps.forEach((app, index) => {
      const first = seen.get(app[field]);
      if (first === undefined) seen.set(app[field], index);
      else ctx.addIssue({ code: 'custom', path: [index, field], message: `${field} ${JSON.stringify(app[field])} is also used by clientApps[${first}]; ${field} values must be unique` });
    });
  };
}

const clientApps = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  },
  z
    .array(clientAppSchema)
    .min(1)
    .superRefine(unique('appId'))
    .superRefine(unique('appName'))
    .refine((apps) => { const jwt = apps.flatMap((a) => (a.auth ? [`${a.auth.issuer} ${a.auth.audience}`] : [])); return new Set(jwt).size === jwt.length; }, {
      message: 'two apps with the same auth issuer and audience: give each app its own audience (back-channel logout finds the app by them)',
    })
    .refine((apps) => { const keys = apps.flatMap((a) => (a.apiKey === undefined ? [] : [a.apiKey])); return new Set(keys).size === keys.length; }, { message: 'apiKey values must be unique' }),
);

const demoApps: ClientApp[] = [{ appName: 'demo', appId: 'demo', masterUserId: 'demo-0', authEnabled: false }];

export const serveOptions = {
  config: opt(z.string().optional(), undefined, 'YAML file with any of these keys (camelCase)', 'a file path'),
  host: opt(str(), '127.0.0.1', 'interface to bind', 'a host name or address'),
  port: opt(int(0, 65535), 8080, 'TCP port (0 picks a free one)', 'an integer 0–65535'),
  dataDir: opt(str(), './data', 'directory of the embedded SQLite store', 'a directory path'),
  store: opt(z.enum(['sqlite', 'memory']), 'sqlite', 'message store when --postgres is not set (memory keeps nothing across restarts)', 'sqlite or memory'),
  sqliteSync: opt(z.enum(['full', 'normal']), 'full', 'SQLite synchronous mode: full survives power loss, normal survives process crashes', 'full or normal'),
  reliableHoldMs: opt(int(0, 10_000), 250, 'how long a RELIABLE message without a reference (or a RELIABLE group message\'s copy), written at once to a recipient connected to this node, may wait for proof of receipt before it is stored, ms; proven in time, it is never stored (single node only; 0: store every RELIABLE message before delivering it)', 'an integer 0–10000'),
  tokenGraceMs: opt(int(0, 600_000), 5_000, 'how long after its token\'s exp a connection that did not send REFRESH_TOKEN may stay open, ms; then it is closed with 4001 (apps with JWT auth)', 'an integer 0–600000'),
  presenceTtlMs: opt(int(1_000, 600_000), 10_000, 'how long this node\'s presence entries live without a refresh, ms: it refreshes them every third of it, and the users of a node that stopped refreshing are reported gone at most this plus a quarter of it later (cluster mode)', 'an integer 1000–600000'),
  messageTtlMs: opt(int(0, 315_360_000_000), 0, 'how long an undelivered RELIABLE message, confirmation or kept presence entry is kept before it expires, ms (0: until fetched); an app\'s messageTtl overrides it', 'an integer ≥ 0'),
  commitDelayMs: opt(int(0, 1000), 5, 'group-commit window, ms: at most one durable commit per window; a write after a quiet spell commits at once (0: every event-loop turn commits)', 'an integer 0–1000'),
  redis: opt(urls(['redis:', 'rediss:']).optional(), undefined, 'Redis URL, or the comma-separated seed nodes of a Redis Cluster; turns on cluster mode (bus, presence, leases); needs --postgres', 'a redis:// URL or a comma-separated list of them'),
  postgres: opt(url(['postgres:', 'postgresql:']).optional(), undefined, 'PostgreSQL URL for the message store', 'a postgres:// URL'),
  nodeId: opt(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(), undefined, 'this node’s id (default: random)', '1–64 letters, digits, "_" or "-"'),
  maxPayload: opt(int(64, 16 * 1024 * 1024), 65_536, 'largest accepted frame, bytes (larger: close 1009)', 'an integer 64–16777216'),
  maxBufferedBytes: opt(int(1024), 1_048_576, 'per-connection send buffer bound, bytes (past it: close 1013)', 'an integer ≥ 1024'),
  heapGrowingPercent: opt(int(0, 1000), 200, 'how far the JavaScript heap may grow past its live size before a full collection, percent (0: the runtime decides); room spares the back-to-back full collections a busy gateway otherwise pays', 'an integer 0–1000'),
  gcPretenuring: opt(bool(), false, "V8's allocation-site pretenuring: objects from sites it judges long-lived are made straight in the old generation; off by default, because a gateway's per-message objects then hold young ones alive until a full collection", 'true or false', { kind: 'boolean' }),
  logLevel: opt(logLevel, 'info', 'fatal, error, warn, info, debug, trace or silent', 'one of fatal, error, warn, info, debug, trace, silent'),
  authTimeoutMs: opt(int(1, 60_000), 5_000, 'auth webhook timeout, ms (then: not authenticated)', 'an integer 1–60000'),
  authDeadlineMs: opt(int(0, 3_600_000), 10_000, 'close a socket that has not authenticated within this many ms (0: never)', 'an integer 0–3600000'),
  maxErrorsBeforeAuth: opt(int(1, 10_000), 20, 'frames refused before authentication before the socket is closed with 1008', 'an integer 1–10000'),
  pingIntervalMs: opt(int(0, 3_600_000), 25_000, 'ping a connection that has sent nothing for this many ms (any frame from the peer proves it alive, as a pong does; 0: off)', 'an integer 0–3600000'),
  pongTimeoutMs: opt(int(1, 3_600_000), 10_000, 'a connection that has not answered a ping within this many ms is closed', 'an integer ≥ 1'),
  maxFetchCount: opt(int(1, 10_000), 1_000, 'largest page of FETCH_MISSING_MESSAGES_REQUEST (larger counts are capped)', 'an integer 1–10000'),
  maxGroupSize: opt(int(1, 100_000), 1_000, 'most recipients of one GROUP_MESSAGE', 'an integer 1–100000'),
  maxConnections: opt(int(1, 10_000_000), 100_000, 'most simultaneous WebSocket connections of this node (more: HTTP 503 at the upgrade)', 'an integer ≥ 1'),
  maxConnectionsPerUser: opt(int(1, 1_000_000), 100, 'most simultaneous connections of one user', 'an integer ≥ 1'),
  maxPendingAuth: opt(int(1, 10_000_000), 5_000, 'most connections upgraded and not yet authenticated (more: HTTP 503 with Retry-After at the upgrade)', 'an integer ≥ 1'),
  maxAuthConcurrency: opt(int(1, 100_000), 64, 'credential verifications (auth webhook calls, JWT signature checks) running at once on this node; more wait in a queue', 'an integer 1–100000'),
  maxAuthQueue: opt(int(0, 10_000_000), 10_000, 'verifications waiting for one of those slots (more: AUTH_CLIENT_REPLY isAuthenticated false, reason busy; the client retries later)', 'an integer ≥ 0'),
  resumeWindowMs: opt(int(0, 3_600_000), 120_000, 'how long a dropped resumable session (a client that authenticated with data.resume) waits for its client to resume it, ms (0: no sessions: such clients get the plain protocol)', 'an integer 0–3600000'),
  rateLimit: opt(int(0, 1_000_000), 1_000, 'messages per second one connection may send (burst: twice this; 0: off)', 'an integer ≥ 0'),
  allowedOrigins: opt(list(), [], 'allowed Origin headers, comma-separated (empty: any; a browser Origin not listed gets 403)', 'a comma-separated list'),
  headersTimeoutMs: opt(int(100, 600_000), 10_000, 'drop a connection whose HTTP/upgrade headers are not complete within this many ms', 'an integer 100–600000'),
  drainTimeoutMs: opt(int(100, 60_000), 8_000, 'on SIGTERM, wait at most this long for sockets to close before exiting', 'an integer 100–60000'),
  consoleToken: opt(z.string().min(16).optional(), undefined, 'admin token for the web console\'s stats (/console/api/stats) from addresses other than loopback, sent as Authorization: Bearer TOKEN (unset: loopback only)', 'a string of at least 16 characters'),
  sseLingerMs: opt(int(0, 3_600_000), 5_000, 'how long an upstream SSE stream of a topic stays open after its last subscriber anywhere left, ms', 'an integer 0–3600000'),
  maxSubscriptions: opt(int(1, 100_000), 100, 'most topics one connection may be subscribed to (more: ERROR LIMIT_EXCEEDED)', 'an integer 1–100000'),
  maxTopicLength: opt(int(1, 4096), 256, 'longest topic name, characters (longer: ERROR BAD_REQUEST, API 400)', 'an integer 1–4096'),
  upstreamTimeoutMs: opt(int(1, 600_000), 5_000, 'deadline of command handlers, job runs and version polls, ms (then: ERROR UNAVAILABLE, or a failed run)', 'an integer 1–600000'),
  maxCommandsInFlight: opt(int(1, 10_000), 16, 'commands one connection may have running at once (more: ERROR TOO_MANY_COMMANDS)', 'an integer 1–10000'),
  jobConcurrency: opt(int(1, 100_000), 32, 'runs of one job at once on this node, across users (a turn that waits past half a period is skipped)', 'an integer 1–100000'),
  clientApps: opt(clientApps, demoApps, 'client apps (YAML list; env/flag: JSON)', 'a list of {appName, appId, masterUserId, authEnabled, authUrl, auth, messageTtl, keepPresence, apiKey, topics, commands, jobs, version}', { fileOnly: false }),
} satisfies OptionTable;
export type ServeConfig = ConfigOf<typeof serveOptions>;

export const proxyOptions = {
  config: opt(z.string().optional(), undefined, 'YAML file with any of these keys (camelCase)', 'a file path'),
  upstream: opt(url(['ws:', 'wss:']).optional(), undefined, 'upstream WebSocket URL (required)', 'a ws:// or wss:// URL'),
  host: opt(str(), '127.0.0.1', 'interface to bind', 'a host name or address'),
  port: opt(int(0, 65535), 8081, 'TCP port (0 picks a free one)', 'an integer 0–65535'),
  retryInterval: opt(int(1, 3_600_000), 1_000, 'wait between upstream reconnect attempts, ms', 'an integer 1–3600000'),
  maxRetries: opt(int(0, 1_000_000), 10, 'upstream reconnect attempts before the client is closed with 1011', 'an integer ≥ 0'),
  backoff: opt(z.enum(['fixed', 'exponential']), 'fixed', 'retry delay: fixed, or exponential with jitter capped by --max-retry-interval', 'fixed or exponential'),
  maxRetryInterval: opt(int(1, 3_600_000), 30_000, 'cap of the exponential retry delay, ms', 'an integer 1–3600000'),
  connectTimeout: opt(int(1, 600_000), 5_000, 'upstream connect (handshake) timeout, ms', 'an integer 1–600000'),
  grace: opt(int(0, 86_400_000), 30_000, 'how long the upstream is kept for a dropped client, ms', 'an integer 0–86400000'),
  maxQueue: opt(int(1, 10_000_000), 10_000, 'most frames queued per direction (then: close 1013)', 'an integer ≥ 1'),
  maxQueueBytes: opt(int(1024), 16_777_216, 'most bytes queued per direction (then: close 1013)', 'an integer ≥ 1024'),
  pingInterval: opt(int(0, 3_600_000), 10_000, 'ping both legs every this many ms (0: off)', 'an integer 0–3600000'),
  pongTimeout: opt(int(1, 3_600_000), 5_000, 'a leg that has not answered a ping within this many ms is treated as gone', 'an integer ≥ 1'),
  maxPayload: opt(int(64, 256 * 1024 * 1024), 16_777_216, 'largest frame passed through, bytes (larger: close 1009)', 'an integer ≥ 64'),
  headersTimeoutMs: opt(int(100, 600_000), 10_000, 'drop a connection whose upgrade headers are not complete within this many ms', 'an integer 100–600000'),
  logLevel: opt(logLevel, 'info', 'fatal, error, warn, info, debug, trace or silent', 'one of fatal, error, warn, info, debug, trace, silent'),
} satisfies OptionTable;
export type ProxyConfig = ConfigOf<typeof proxyOptions>;

export const benchOptions = {
  config: opt(z.string().optional(), undefined, 'YAML file with any of these keys (camelCase)', 'a file path'),
  url: opt(url(['ws:', 'wss:']), 'ws://127.0.0.1:8080/ws', 'gateway WebSocket URL', 'a ws:// or wss:// URL'),
  scenario: opt(z.enum(['seed', 'rate', 'max', 'fanout', 'idle', 'offline']), 'seed', 'seed (each user to itself every --interval), rate (--rate total msgs/s), max (open loop), fanout (group), idle (memory per connection), offline (RELIABLE to offline users)', 'one of seed, rate, max, fanout, idle, offline'),
  connections: opt(int(1, 100_000), 100, 'connections, each authenticated as its own user', 'an integer 1–100000'),
  interval: opt(int(1, 3_600_000), 10, 'ms between sends of one connection (seed scenario)', 'an integer ≥ 1'),
  rate: opt(int(1, 10_000_000), 1_000, 'total messages per second (rate scenario)', 'an integer ≥ 1'),
  payload: opt(int(0, 16 * 1024 * 1024), 1_000, 'payload characters per message', 'an integer ≥ 0'),
  duration: opt(int(1, 86_400), 10, 'seconds of sending', 'an integer ≥ 1'),
  warmup: opt(int(0, 3_600), 0, 'seconds of sending before measurement starts', 'an integer ≥ 0'),
  feature: opt(z.enum(['FAST', 'RELIABLE']), 'FAST', 'FAST or RELIABLE', 'FAST or RELIABLE'),
  groupSize: opt(int(1, 100_000), 10, 'recipients per GROUP_MESSAGE (fanout scenario)', 'an integer ≥ 1'),
  references: opt(bool(), false, 'every MESSAGE carries a reference, so the server also answers MESSAGE_ACCEPTED and MESSAGE_CONFIRMATION; both are counted (the offline scenario always sends references)', 'true or false', { kind: 'boolean' }),
  window: opt(int(1, 10_000), 16, 'messages in flight per connection (max and offline scenarios)', 'an integer 1–10000'),
  concurrency: opt(int(1, 10_000), 50, 'connections opened at once', 'an integer 1–10000'),
  appId: opt(str(), 'demo', 'appId to authenticate with', 'a string'),
  appName: opt(str(), 'demo', 'appName, the userId prefix', 'a string'),
  token: opt(z.string(), 'bench', 'token sent in AUTH_CLIENT', 'a string'),
  userOffset: opt(int(0), 100_000, 'first user number (users are <appName>-<offset+i>)', 'an integer ≥ 0'),
  protocol: opt(z.enum(['switchboard', 'echo', 'socketio']), 'switchboard', 'what the server speaks: switchboard, echo (raw ws echo) or socketio', 'switchboard, echo or socketio'),
  json: opt(bool(), false, 'print the result as one JSON object', 'true or false', { kind: 'boolean' }),
  report: opt(z.string().optional(), undefined, 'write an HTML report with charts to this file', 'a file path'),
  serverPid: opt(int(1).optional(), undefined, 'server process id: the idle scenario reads its memory from /proc', 'a process id'),
  metricsUrl: opt(url(['http:', 'https:']).optional(), undefined, 'server /metrics URL: the idle scenario reads process_resident_memory_bytes there', 'an http:// URL'),
  serverInspect: opt(url(['ws:']).optional(), undefined, 'idle scenario: the server\'s inspector URL (the ws:// of its `node --inspect` "Debugger listening on" line): memory is also read after a forced full garbage collection there, with the JavaScript heap in use', 'a ws:// URL'),
  generators: opt(int(0, 64), 0, 'idle scenario: child processes that open the connections, each under its own file limit (0: the bench process up to 9000 connections, else one per 9000)', 'an integer 0–64'),
  sourceAddresses: opt(list(), [], 'addresses the generator processes connect from, comma-separated, one per process (empty: 127.0.0.2, 127.0.0.3, … for a loopback server)', 'a comma-separated list'),
  runs: opt(int(1, 9), 1, 'with --compare: repeat the whole comparison this many times and report the median of each figure', 'an integer 1–9'),
  compare: opt(bool(), false, 'run the comparison suite (raw ws floor, switchboard, Socket.IO) and print ratios', 'true or false', { kind: 'boolean' }),
  cluster: opt(bool(), false, 'with --compare: the cluster comparison instead (raw ws floor on one node; two serve nodes on a Redis the bench starts itself and PostgreSQL; Socket.IO 4 with its Redis adapter on two nodes), every message to a user on the other node, CPU over both nodes and Redis; needs redis-server and --postgres or DATABASE_URL', 'true or false', { kind: 'boolean' }),
  postgres: opt(url(['postgres:', 'postgresql:']).optional(), undefined, 'with --compare --cluster: the PostgreSQL server of the nodes\' store (the bench creates a database of its own there and drops it at the end; default: DATABASE_URL)', 'a postgres:// URL'),
  quiet: opt(bool(), false, 'no progress line', 'true or false', { kind: 'boolean' }),
} satisfies OptionTable;
export type BenchConfig = ConfigOf<typeof benchOptions>;

/** Every command's table, by command name: a config file or the environment may carry the keys of any of them. */
export const commandTables = { serve: serveOptions, proxy: proxyOptions, bench: benchOptions } as const satisfies Record<string, OptionTable>;
export type CommandName = keyof typeof commandTables;
