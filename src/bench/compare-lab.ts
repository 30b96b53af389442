/**
 * What `switchboard bench --compare` needs from the comparison lab. The lab (the raw `ws` echo
 * floor, the Socket.IO server, the child-process runner and the comparison table) lives in the
 * repository's `bench-lab/`, built to `dist-lab/` by `npm run build`, and is not in the published
 * package: the CLI loads it dynamically and explains how to get it when it is absent.
 */
import type { BenchProgress, BenchRunOptions } from './run-bench.js';

export interface CompareHooks {
  readonly signal?: AbortSignal;
  readonly log: (line: string) => void;
  readonly onProgress?: (progress: BenchProgress) => void;
  /** `--cluster`: the PostgreSQL server the cluster's nodes store on (the bench makes a database of its own there). */
  readonly postgres?: string;
}

/**
 * The lab's entry points (`compareLab` and, for `--cluster`, `clusterLab` of
 * `dist-lab/bench-lab/index.js`). `Table` is opaque to the CLI.
 */
export interface CompareLab<Table = unknown> {
  /** Runs the comparison suite sized by `base`; every child is stopped before it settles. */
  readonly runCompare: (base: BenchRunOptions, hooks: CompareHooks) => Promise<Table>;
  /** Each figure the median over `tables` (one table per `--runs`). */
  readonly medianTable: (tables: readonly Table[]) => Table;
  /** The table as printed on stdout. */
  readonly formatCompare: (table: Table) => string;
}
