/**
 * Elasticsearch `_bulk` bodies: NDJSON pairs of an action/metadata line and, for `index` and
 * `create`, a source line. `update` (which carries a partial document line) and `delete` are
 * parsed so the pairs stay aligned, then answered per item as unsupported: Vigil's event store
 * is append-only. An update's document line is not parsed, but its shape is checked like every
 * other line's.
 */
import type { JsonObject } from './record-mapping.js';
import { DEPTH_SCAN_BYTES, JsonDepthError, jsonShapeRefusal, nonBlankLines, parseJsonLine, syntaxReason, type BodyLine, type ParsedLine } from './ndjson-lines.js';

export type BulkAction = 'index' | 'create' | 'update' | 'delete';
const ACTIONS: ReadonlySet<string> = new Set<BulkAction>(['index', 'create', 'update', 'delete']);

export interface BulkItem {
  readonly action: BulkAction;
  readonly index: string | undefined;
  readonly id: string | undefined;
  /** For `index` and `create`: the source line. */
  readonly document?: { readonly original: string; readonly value: JsonObject; readonly line: number };
}

export class BulkBodyError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
    /** Items read so far, the bad one included. */
    readonly seen: number,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = 'BulkBodyError';
  }
}

function parseLine(body: Buffer, line: BodyLine, maxDepth: number, seen: number): ParsedLine {
  try {
    return parseJsonLine(body, line.start, line.end, maxDepth);
  } catch (error) {
    throw new BulkBodyError(line.number, error instanceof JsonDepthError ? error.message : syntaxReason(error), seen);
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function metaText(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** Items in body order; throws BulkBodyError at the first malformed line. */
export function* bulkItems(body: Buffer, maxDepth: number, pathIndex: string | undefined): Generator<BulkItem> {
  const lines = nonBlankLines(body);
  let seen = 0;
  for (let next = lines.next(); !next.done; next = lines.next()) {
    const line = next.value;
    seen++;
    const action = parseLine(body, line, maxDepth, seen).value;
    const keys = isObject(action) ? Object.keys(action) : [];
    const name = keys[0];
    if (!isObject(action) || keys.length !== 1 || name === undefined || !ACTIONS.has(name)) {
      throw new BulkBodyError(
        line.number,
        `malformed action/metadata line, expected one object with one of [create, delete, index, update] but found ${JSON.stringify(keys.slice(0, 3))}`,
        seen,
      );
    }
    const kind = name as BulkAction;
    const meta = action[kind];
    if (!isObject(meta)) throw new BulkBodyError(line.number, `the "${kind}" action must hold an object of metadata`, seen);
    const index = metaText(meta['_index']) ?? pathIndex;
    const id = metaText(meta['_id']);
    if (kind === 'delete') {
      yield { action: kind, index, id };
      continue;
    }
    const source = lines.next();
    if (source.done) throw new BulkBodyError(line.number, `the "${kind}" action has no source line after it`, seen);
    if (kind === 'update') {
      // Not parsed (updates are refused item by item), but refused like any other line when its
      // shape is: the body reader stops reading at such a line (body-shape-guard.ts).
      const { start, end, number } = source.value;
      const refusal = end - start > DEPTH_SCAN_BYTES ? jsonShapeRefusal(body, start, end, maxDepth) : undefined;
      if (refusal) throw new BulkBodyError(number, refusal, seen);
      yield { action: kind, index, id };
      continue;
    }
    const parsed = parseLine(body, source.value, maxDepth, seen);
    if (!isObject(parsed.value)) throw new BulkBodyError(source.value.number, 'the source line must be a JSON object', seen);
    yield { action: kind, index, id, document: { original: parsed.text, value: parsed.value, line: source.value.number } };
  }
}
