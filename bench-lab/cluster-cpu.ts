/**
 * CPU of a group of processes over a bench's measured window: every process is sampled from /proc
 * when measurement starts ('running') and again once the run has drained (`finish`, after runBench
 * resolved), and the deltas are summed (cluster-plan.ts's groupCpu). Ending after the drain, not
 * when sending stops, counts the work a lagging server still owes the measured messages: a
 * cluster whose p50 is seconds behind would otherwise look cheaper the further behind it is.
 */
import { cpuOf, groupCpu, type GroupCpu } from '../src/bench/cluster-plan.js';
import { sampleProcess, type ProcessSample } from '../src/bench/process-stats.js';

export interface GroupCpuResult extends GroupCpu {
  /** The processes of the server under test (nodes and Redis; not the extra ones), seconds. */
  readonly serverSeconds: number;
  /** Redis's share, seconds. */
  readonly redisSeconds: number;
  /** The extra processes (PostgreSQL backends), seconds; undefined when there are none. */
  readonly extraSeconds?: number;
}

type Samples = Map<string, ProcessSample | undefined>;

async function sampleAll(pids: ReadonlyMap<string, number>): Promise<Samples> {
  const entries = await Promise.all([...pids].map(async ([label, pid]) => [label, await sampleProcess(pid).catch(() => undefined)] as const));
  return new Map(entries);
}

/**
 * Samples `pids` (and the `extra` ones, listed when measurement starts) at the bench's 'running'
 * phase and when `result` is called (after the run); `result` resolves the CPU used in between,
 * or undefined when measurement never started.
 */
export function groupCpuWindow(pids: ReadonlyMap<string, number>, extra?: () => Promise<ReadonlyMap<string, number>>): { onPhase: (phase: string) => void; result: () => Promise<GroupCpuResult | undefined> } {
  let start: Promise<{ all: ReadonlyMap<string, number>; samples: Samples }> | undefined;
  let end: Promise<Samples> | undefined;
  return {
    onPhase: (phase) => {
      if (phase === 'running' && start === undefined) {
        start = (async () => {
          const listed = extra === undefined ? new Map<string, number>() : await extra().catch(() => new Map<string, number>());
          const all = new Map([...pids, ...listed]);
          return { all, samples: await sampleAll(all) };
        })();
      }
    },
    result: async () => {
      if (start === undefined) return undefined;
      end ??= start.then((s) => sampleAll(s.all));
      const [{ samples }, after] = await Promise.all([start, end]);
      const cpu = groupCpu(samples, after);
      const extraSeconds = cpuOf(cpu, 'pg-');
      const hasExtra = [...samples.keys()].some((label) => label.startsWith('pg-'));
      return { ...cpu, serverSeconds: cpu.totalSeconds - extraSeconds, redisSeconds: cpuOf(cpu, 'redis'), ...(hasExtra ? { extraSeconds } : {}) };
    },
  };
}
