/**
 * Plain aligned-column tables for terminal output: header, a rule, rows. Numbers are right-aligned,
 * text left-aligned; no box drawing, so the output greps and pastes cleanly.
 */
export type Cell = string | number | boolean | undefined;

export function renderTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => headers.map((_, i) => cellText(row[i])));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number' || row[i] === undefined));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line([...headers]), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)].join('\n') + '\n';
}

function cellText(c: Cell): string {
  if (c === undefined) return '';
  if (typeof c === 'number') return Number.isInteger(c) ? String(c) : c.toFixed(2);
  return String(c);
}

/** Two-column key/value listing. */
export function renderKeyValues(entries: readonly (readonly [string, Cell])[]): string {
  return renderTable(['KEY', 'VALUE'], entries.map(([k, v]) => [k, cellText(v)]));
}
