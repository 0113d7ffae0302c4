/** The figures of every benchmark as one plain-text table for the terminal. */
import type { BenchResult, Figure } from './bench-result.js';

const DECIMALS: Record<string, number> = { 'events/s': 0, 'lines/s': 0, ms: 1, s: 1, MiB: 0, x: 2, events: 0, requests: 0 };

export function formatValue(figure: Figure): string {
  if (figure.value === null) return 'n/a';
  const decimals = DECIMALS[figure.unit] ?? 2;
  // Small values would round to nothing at the usual precision (2.37 ms, a 0.031x ratio).
  const small = (figure.unit === 'ms' && Math.abs(figure.value) < 10) || (figure.unit === 'x' && Math.abs(figure.value) < 0.1);
  const places = small ? decimals + 1 : decimals;
  return figure.value.toLocaleString('en-US', { minimumFractionDigits: places, maximumFractionDigits: places });
}

export function resultsTable(results: readonly BenchResult[]): string {
  const rows: string[][] = [['benchmark', 'figure', 'value', 'unit', 'note']];
  for (const result of results) {
    for (const figure of result.figures) {
      rows.push([result.name, figure.label, formatValue(figure), figure.unit, figure.note ?? '']);
    }
    for (const reason of result.skipped ?? []) {
      rows.push([result.name, 'skipped', '', '', reason.split('\n')[0] ?? '']);
    }
  }
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  const line = (row: readonly string[]): string =>
    row
      .map((cell, column) => (column === 2 ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  const header = rows[0] ?? [];
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [line(header), rule, ...rows.slice(1).map(line)].join('\n');
}
