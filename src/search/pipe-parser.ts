/**
 * The pipes after a search (`… | stats count() by source.ip | sort -count() | head 5`), parsed
 * into typed stages. The commands are SPL's, with Lucene-style field names:
 *
 *   stats    metric ("," metric)* ["by" field ("," field)*]     metric := fn "(" [field] ")" ["as" name]
 *   timechart "span=" duration metric ("," metric)* ["by" field]
 *   top      [n] field ("," field)* ["limit=" n]
 *   sort     ["-"|"+"]key ("," ["-"|"+"]key)*                  key := field | fn "(" [field] ")" | name
 *   fields   field ("," field)*
 *   head     [n]
 *
 * fn is count, dc (distinct count), sum, avg, min or max. Columns in errors are those of the
 * whole query text, so the message points where the user typed the mistake.
 */
import type { Metric, MetricFunction, SortKey } from '../core/query.js';
import { FIELD_NAME, queryError } from './query-tokens.js';

export type PipeStage =
  | { readonly kind: 'stats'; readonly column: number; readonly metrics: readonly Metric[]; readonly by: readonly string[] }
  | { readonly kind: 'timechart'; readonly column: number; readonly spanMs: number; readonly metrics: readonly Metric[]; readonly by: readonly string[] }
  | { readonly kind: 'top'; readonly column: number; readonly fields: readonly string[]; readonly limit: number }
  | { readonly kind: 'sort'; readonly column: number; readonly keys: readonly SortKey[] }
  | { readonly kind: 'fields'; readonly column: number; readonly fields: readonly string[] }
  | { readonly kind: 'head'; readonly column: number; readonly limit: number };

export const MAX_PIPE_ROWS = 10_000;
const MAX_STAGES = 16;
const MAX_LIST = 32;
const FUNCTIONS: ReadonlySet<string> = new Set<MetricFunction>(['count', 'dc', 'sum', 'avg', 'min', 'max']);
const COMMANDS = ['stats', 'timechart', 'top', 'sort', 'fields', 'head'];
const SPAN_UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Smallest timechart bucket; with the row limit it bounds how many buckets a chart can ask for. */
const MIN_SPAN_MS = 1_000;

interface PipeToken {
  readonly kind: 'word' | 'punct';
  readonly text: string;
  readonly column: number;
}

function tokenizeStage(text: string, offset: number): PipeToken[] {
  const tokens: PipeToken[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if ('(),=+'.includes(c) || (c === '-' && (i === 0 || !/[A-Za-z0-9_@.]/.test(text[i - 1] as string)))) {
      tokens.push({ kind: 'punct', text: c, column: offset + i + 1 });
      i++;
    } else if (/[A-Za-z0-9_@.]/.test(c)) {
      const start = i;
      while (i < text.length && /[A-Za-z0-9_@.-]/.test(text[i] as string)) i++;
      tokens.push({ kind: 'word', text: text.slice(start, i), column: offset + start + 1 });
    } else {
      throw queryError(
        `unexpected ${JSON.stringify(c)} at column ${offset + i + 1} in a pipe; pipes take field names, numbers, commas and parentheses, e.g. | stats count() by source.ip`,
        offset + i + 1,
      );
    }
  }
  return tokens;
}

/** Parses the text after the first pipe; `offset` is the index of that `|` in the whole query. */
export function parsePipes(text: string, offset: number): PipeStage[] {
  const stages: PipeStage[] = [];
  let start = 0;
  for (let i = 1; i <= text.length; i++) {
    if (i === text.length || text[i] === '|') {
      // text[start] is the `|` itself.
      stages.push(parseStage(text.slice(start + 1, i), offset + start + 1, offset + start + 1));
      start = i;
      if (stages.length > MAX_STAGES) {
        throw queryError(`more than ${MAX_STAGES} pipes at column ${offset + start + 1}; split the question into several searches`, offset + start + 1);
      }
    }
  }
  return stages;
}

function parseStage(text: string, offset: number, pipeColumn: number): PipeStage {
  const tokens = tokenizeStage(text, offset);
  const command = tokens[0];
  if (command === undefined) {
    throw queryError(`the pipe at column ${pipeColumn} has no command after it; write e.g. | stats count() by host.name, or remove the "|"`, pipeColumn);
  }
  const reader = new StageReader(tokens, command);
  const name = command.text.toLowerCase();
  reader.next();
  let stage: PipeStage;
  switch (name) {
    case 'stats':
      stage = reader.stats();
      break;
    case 'timechart':
      stage = reader.timechart();
      break;
    case 'top':
      stage = reader.top();
      break;
    case 'sort':
      stage = { kind: 'sort', column: command.column, keys: reader.sortKeys() };
      break;
    case 'fields':
      stage = { kind: 'fields', column: command.column, fields: reader.fieldList('fields', 'host.name, user.name') };
      break;
    case 'head':
      stage = { kind: 'head', column: command.column, limit: reader.optionalCount('head', 10) };
      break;
    default:
      throw queryError(
        `unknown pipe command ${JSON.stringify(command.text)} at column ${command.column}; use one of ${COMMANDS.join(', ')}`,
        command.column,
      );
  }
  reader.end();
  return stage;
}

class StageReader {
  private pos = 0;

  constructor(
    private readonly tokens: readonly PipeToken[],
    private readonly command: PipeToken,
  ) {}

  next(): PipeToken | undefined {
    return this.tokens[this.pos++];
  }

  peek(offset = 0): PipeToken | undefined {
    return this.tokens[this.pos + offset];
  }

  private get where(): number {
    return this.peek()?.column ?? this.command.column;
  }

  private fail(expected: string): never {
    const token = this.peek();
    const found = token === undefined ? `the pipe ends at column ${this.lastColumn()}` : `found ${JSON.stringify(token.text)} at column ${token.column}`;
    throw queryError(`| ${this.command.text}: expected ${expected}, but ${found}`, token?.column ?? this.lastColumn());
  }

  private lastColumn(): number {
    const last = this.tokens[this.tokens.length - 1];
    return last === undefined ? this.command.column : last.column + last.text.length;
  }

  private punct(text: string): boolean {
    const token = this.peek();
    if (token?.kind === 'punct' && token.text === text) {
      this.pos++;
      return true;
    }
    return false;
  }

  private keyword(text: string): boolean {
    const token = this.peek();
    if (token?.kind === 'word' && token.text.toLowerCase() === text) {
      this.pos++;
      return true;
    }
    return false;
  }

  end(): void {
    if (this.peek() !== undefined) this.fail('the end of the pipe (or a comma between items)');
  }

  field(expected: string): string {
    const token = this.peek();
    if (token?.kind !== 'word' || !FIELD_NAME.test(token.text) || /^\d+$/.test(token.text)) this.fail(expected);
    this.pos++;
    return token.text;
  }

  fieldList(command: string, example: string): string[] {
    const fields = [this.field(`a field name, e.g. | ${command} ${example}`)];
    while (this.punct(',')) {
      fields.push(this.field('a field name after the comma'));
      if (fields.length > MAX_LIST) this.fail(`at most ${MAX_LIST} fields`);
    }
    return fields;
  }

  count(what: string): number {
    const token = this.peek();
    if (token?.kind !== 'word' || !/^\d{1,6}$/.test(token.text) || Number(token.text) < 1 || Number(token.text) > MAX_PIPE_ROWS) {
      this.fail(`${what}: a whole number from 1 to ${MAX_PIPE_ROWS}`);
    }
    this.pos++;
    return Number(token.text);
  }

  optionalCount(command: string, fallback: number): number {
    return this.peek() === undefined ? fallback : this.count(`| ${command} n`);
  }

  metric(): Metric {
    const fnToken = this.peek();
    if (fnToken?.kind !== 'word' || !FUNCTIONS.has(fnToken.text.toLowerCase())) {
      this.fail(`a function: ${[...FUNCTIONS].join(', ')}, e.g. count() or dc(user.name)`);
    }
    this.pos++;
    const fn = fnToken.text.toLowerCase() as MetricFunction;
    let field: string | undefined;
    if (this.punct('(')) {
      if (!this.punct(')')) {
        field = this.field(`a field name inside ${fn}( )`);
        if (!this.punct(')')) this.fail(`")" to close ${fn}(`);
      }
    } else if (fn !== 'count') {
      this.fail(`"(" and a field after ${fn}, e.g. ${fn}(user.name)`);
    }
    if (fn !== 'count' && field === undefined) {
      throw queryError(`${fn}() at column ${fnToken.column} needs a field, e.g. ${fn}(user.name)`, fnToken.column);
    }
    let name = `${fn}(${field ?? ''})`;
    if (this.keyword('as')) name = this.field('a column name after "as"');
    return { fn, field, name };
  }

  metrics(): Metric[] {
    const metrics = [this.metric()];
    while (this.punct(',')) metrics.push(this.metric());
    const names = new Set<string>();
    for (const m of metrics) {
      if (names.has(m.name)) throw queryError(`| ${this.command.text}: the column ${m.name} is computed twice; name one with "as"`, this.command.column);
      names.add(m.name);
    }
    return metrics;
  }

  by(): string[] {
    return this.keyword('by') ? this.fieldList(`${this.command.text} … by`, 'source.ip') : [];
  }

  stats(): PipeStage {
    const metrics = this.metrics();
    const by = this.by();
    if (by.some((f) => metrics.some((m) => m.name === f))) {
      throw queryError(`| stats: a column is both a metric and a "by" field; rename the metric with "as"`, this.command.column);
    }
    return { kind: 'stats', column: this.command.column, metrics, by };
  }

  timechart(): PipeStage {
    let spanMs: number | undefined;
    if (this.keyword('span')) {
      if (!this.punct('=')) this.fail('"=" after span, e.g. span=1h');
      const token = this.peek();
      const m = token?.kind === 'word' ? /^(\d{1,6})([smhd])$/.exec(token.text) : null;
      if (m === null || token === undefined) this.fail('a span such as 30s, 5m, 1h or 1d');
      this.pos++;
      spanMs = Number(m[1]) * (SPAN_UNITS[m[2] as string] as number);
      if (spanMs < MIN_SPAN_MS) throw queryError(`span=${token.text} at column ${token.column} is too small; the smallest is 1s`, token.column);
    }
    const metrics = this.peek() === undefined ? [{ fn: 'count' as const, name: 'count()' }] : this.metrics();
    const by = this.by();
    if (by.length > 1) throw queryError(`| timechart splits by one field at most; use | stats … by for more`, this.command.column);
    return { kind: 'timechart', column: this.command.column, spanMs: spanMs ?? 3_600_000, metrics, by };
  }

  top(): PipeStage {
    let limit = 10;
    const first = this.peek();
    if (first?.kind === 'word' && /^\d+$/.test(first.text)) limit = this.count('| top n');
    const fields = this.fieldList('top', 'source.ip');
    if (this.keyword('limit')) {
      if (!this.punct('=')) this.fail('"=" after limit, e.g. limit=20');
      limit = this.count('limit=');
    }
    return { kind: 'top', column: this.command.column, fields, limit };
  }

  sortKeys(): SortKey[] {
    const keys = [this.sortKey()];
    while (this.punct(',')) keys.push(this.sortKey());
    return keys;
  }

  private sortKey(): SortKey {
    let descending = false;
    if (this.punct('-')) descending = true;
    else this.punct('+');
    const column = this.where;
    const token = this.peek();
    if (token?.kind !== 'word') this.fail('a field or column to sort by, e.g. | sort -count()');
    this.pos++;
    let field = token.text;
    // `count()`, `dc(user.name)`: an aggregation's column as it is named in its output.
    if (FUNCTIONS.has(field.toLowerCase()) && this.punct('(')) {
      let inner = '';
      if (!this.punct(')')) {
        inner = this.field('a field name inside the parentheses');
        if (!this.punct(')')) this.fail('")"');
      }
      field = `${field.toLowerCase()}(${inner})`;
    } else if (!FIELD_NAME.test(field)) {
      throw queryError(`${JSON.stringify(field)} at column ${column} is not a field name`, column);
    }
    if (this.keyword('desc')) descending = true;
    else this.keyword('asc');
    return { field, descending };
  }
}
