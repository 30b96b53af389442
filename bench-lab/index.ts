/**
 * The Socket.IO comparison lab behind `switchboard bench --compare` (development installs only: it
 * is built to dist-lab/ and not published). The CLI loads {@link compareLab} (and, with
 * `--cluster`, {@link clusterLab}) dynamically.
 */
import type { CompareLab } from '../src/bench/compare-lab.js';
import { runClusterCompare } from './cluster-compare.js';
import { formatClusterCompare, medianClusterTable, type ClusterTable } from './cluster-format.js';
import { formatCompare, medianTable, runCompare, type CompareTable } from './run-compare.js';

export const compareLab: CompareLab<CompareTable> = { runCompare, medianTable, formatCompare };

export const clusterLab: CompareLab<ClusterTable> = { runCompare: runClusterCompare, medianTable: medianClusterTable, formatCompare: formatClusterCompare };
