/**
 * Topic patterns of an app's `topics` config (contract §9): `{name}` matches one path segment,
 * `*` (last segment only) matches the rest; anything else matches itself. A named segment is
 * never `.` or `..`. A pattern with `sse`
 * names its upstream URL as a template filled from the named segments. Pure.
 */

/** One `topics` entry of a client app, as configured. */
export interface TopicConfig {
  readonly pattern: string;
  /** Upstream Server-Sent Events URL template: `{name}` is replaced by that segment, URL-encoded. */
  readonly sse?: string | undefined;
}

/** A topic a pattern admitted, with its named segments and its upstream URL when the pattern has one. */
export interface TopicMatch {
  readonly pattern: TopicPattern;
  readonly params: Readonly<Record<string, string>>;
  /** The filled `sse` template, or undefined. */
  readonly sseUrl: string | undefined;
}

type Segment = { readonly kind: 'literal'; readonly text: string } | { readonly kind: 'param'; readonly name: string } | { readonly kind: 'rest' };

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;
const TEMPLATE_PARAM = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export class TopicPattern {
  readonly #segments: readonly Segment[];

  /** Throws a TypeError naming the problem when `config` is not a usable pattern (a config error). */
  constructor(readonly config: TopicConfig) {
    const parts = config.pattern.split('/');
    const names = new Set<string>();
    this.#segments = parts.map((part, i): Segment => {
      if (part === '*') {
        if (i !== parts.length - 1) throw new TypeError(`topic pattern ${config.pattern}: "*" may only be the last segment`);
        return { kind: 'rest' };
      }
      const param = PARAM.exec(part);
      if (param !== null) {
        if (names.has(param[1]!)) throw new TypeError(`topic pattern ${config.pattern}: {${param[1]!}} appears twice`);
        names.add(param[1]!);
        return { kind: 'param', name: param[1]! };
      }
      if (part.includes('{') || part.includes('}') || part.includes('*')) throw new TypeError(`topic pattern ${config.pattern}: segment "${part}" must be text, {name} or *`);
      return { kind: 'literal', text: part };
    });
    if (config.sse !== undefined) {
      for (const m of config.sse.matchAll(TEMPLATE_PARAM)) {
        if (!names.has(m[1]!)) throw new TypeError(`topic pattern ${config.pattern}: sse URL names {${m[1]!}}, which the pattern does not have`);
      }
    }
  }

  /** The named segments of `topic` when this pattern admits it, else undefined. */
  match(topic: string): Record<string, string> | undefined {
    const parts = topic.split('/');
    const params: Record<string, string> = {};
    const segments = this.#segments;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      if (segment.kind === 'rest') return parts.length > i && parts.slice(i).join('/').length > 0 ? params : undefined;
      const part = parts[i];
      if (part === undefined) return undefined;
      if (segment.kind === 'literal') {
        if (part !== segment.text) return undefined;
      } else {
        // "." and ".." would climb the upstream URL's path once filled into an sse template.
        if (part.length === 0 || part === '.' || part === '..') return undefined;
        params[segment.name] = part;
      }
    }
    return parts.length === segments.length ? params : undefined;
  }

  /** The `sse` template with every `{name}` replaced by its URL-encoded segment. */
  fill(params: Readonly<Record<string, string>>): string | undefined {
    const template = this.config.sse;
    if (template === undefined) return undefined;
    return template.replace(TEMPLATE_PARAM, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  }
}

/** An app's patterns, first match wins (config order). */
export class TopicPatterns {
  readonly #patterns: readonly TopicPattern[];

  constructor(configs: readonly TopicConfig[]) {
    this.#patterns = configs.map((c) => new TopicPattern(c));
  }

  get size(): number {
    return this.#patterns.length;
  }

  /** True when some pattern has an upstream (`sse`). */
  get hasSse(): boolean {
    return this.#patterns.some((p) => p.config.sse !== undefined);
  }

  match(topic: string): TopicMatch | undefined {
    for (const pattern of this.#patterns) {
      const params = pattern.match(topic);
      if (params !== undefined) return { pattern, params, sseUrl: pattern.fill(params) };
    }
    return undefined;
  }
}

/** Why a topic name is unusable, or undefined when it is fine: empty, too long, or with control characters. */
export function topicProblem(topic: string, maxLength: number): string | undefined {
  if (topic.length === 0) return 'topic must not be empty';
  if (topic.length > maxLength) return `topic longer than ${maxLength} characters`;
  if (/[\u0000-\u001f\u007f]/.test(topic)) return 'topic must not contain control characters';
  return undefined;
}
