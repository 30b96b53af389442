/**
 * "Did you mean …?" for mistyped flags, env variables and file keys. Pure.
 */

/** Edit distance (insertions, deletions, substitutions, swaps of neighbours) between two strings. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** Lower case without separators: `MAX_PAYLOAD`, `maxPayload` and `max-payload` all become `maxpayload`. */
function squash(s: string): string {
  return s.toLowerCase().replace(/[-_.]/g, '');
}

/**
 * The candidate closest to `wrong`, when it is close enough to be a likely typo: the same up to
 * case and separators, or at most 2 edits away (1 for names of 4 characters or fewer).
 * Undefined when nothing is close.
 */
export function closest(wrong: string, candidates: Iterable<string>): string | undefined {
  const target = squash(wrong);
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const distance = editDistance(target, squash(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const limit = target.length <= 4 ? 1 : 2;
  return bestDistance <= limit ? best : undefined;
}

/** `; did you mean X?` or the empty string. */
export function didYouMean(wrong: string, candidates: Iterable<string>): string {
  const match = closest(wrong, candidates);
  return match === undefined ? '' : `; did you mean ${match}?`;
}
