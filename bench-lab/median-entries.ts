// Medians of repeated comparison runs, figure by figure (the single-node and the cluster compare). Pure.

/** The entry-wise medians of repeated runs' entries (same order in every run) over `fields`; warnings kept once each. */
export function medianEntries<E extends { readonly name: string; readonly warnings: readonly string[]; readonly unavailable?: string }>(tables: ReadonlyArray<{ readonly entries: readonly E[] }>, fields: ReadonlyArray<keyof E & string>): E[] {
  return tables[0]!.entries.map((entry, i) => {
    const column = tables.map((t) => t.entries[i]).filter((e): e is E => e !== undefined);
    const combined: Record<string, unknown> = { name: entry.name, warnings: [...new Set(column.flatMap((e) => e.warnings))] };
    const unavailable = column.find((e) => e.unavailable !== undefined)?.unavailable;
    if (unavailable !== undefined) combined.unavailable = unavailable;
    for (const field of fields) {
      const values = column.map((e) => e[field]).filter((v): v is E[typeof field] & number => typeof v === 'number').sort((a, b) => a - b);
      if (values.length > 0) combined[field] = values.length % 2 === 1 ? values[(values.length - 1) / 2]! : (values[values.length / 2 - 1]! + values[values.length / 2]!) / 2;
    }
    return combined as unknown as E;
  });
}
