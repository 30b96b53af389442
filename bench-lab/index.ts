/**
 * The Socket.IO comparison lab behind `switchboard bench --compare` (development installs only: it
 * is built to dist-lab/ and not published). The CLI loads {@link compareLab} dynamically.
 */
import type { CompareLab } from '../src/bench/compare-lab.js';
import { formatCompare, medianTable, runCompare, type CompareTable } from './run-compare.js';

export const compareLab: CompareLab<CompareTable> = { runCompare, medianTable, formatCompare };
