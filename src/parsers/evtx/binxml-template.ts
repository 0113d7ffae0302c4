/**
 * BinXML token stream → a small node tree with substitution placeholders.
 *
 * Token layout follows the libevtx documentation ("Binary XML", "Binary XML tokens",
 * "Template instance"). Template definitions are parsed once per chunk and cached by their
 * chunk offset, as Windows itself shares them between records of a chunk; a definition that
 * is reached again while it is still being parsed (an offset pointing into itself) is a loop
 * and is refused. Nesting is capped at MAX_DEPTH so hostile input cannot exhaust the stack.
 */
import { ChunkCursor, decodeValue, evtxFormatError, type EvtxValue } from './binxml-reader.js';

export const MAX_DEPTH = 64;

export type XmlPart =
  | { readonly k: 'text'; readonly v: EvtxValue }
  | { readonly k: 'sub'; readonly id: number; readonly optional: boolean }
  | { readonly k: 'el'; readonly el: XmlElement }
  | { readonly k: 'inst'; readonly inst: TemplateInstance };

export interface XmlAttribute {
  readonly name: string;
  readonly parts: readonly XmlPart[];
}

export interface XmlElement {
  readonly name: string;
  readonly attrs: readonly XmlAttribute[];
  readonly children: readonly XmlPart[];
}

export interface TemplateInstance {
  readonly body: readonly XmlPart[];
  readonly values: readonly EvtxValue[];
}

/** Per-chunk state: caches of names and templates, and the templates being parsed. */
export class ChunkContext {
  readonly names = new Map<number, string>();
  readonly templates = new Map<number, readonly XmlPart[]>();
  readonly inProgress = new Set<number>();
  /** Definitions that failed, so records sharing a broken template do not re-parse it each time. */
  readonly brokenTemplates = new Map<number, Error>();
  /** Embedded BinXML values by start offset: a value substituted many times is parsed once. */
  readonly embedded = new Map<number, readonly XmlPart[]>();
  /** Nodes emitted for all records of this chunk so far (see evtx-record-tree.ts). */
  nodes = 0;
  constructor(readonly buf: Buffer) {}
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Name structure: u32 next offset, u16 hash, u16 count, UTF-16 chars, NUL (libevtx "Name"). */
function nameAt(ctx: ChunkContext, offset: number): { name: string; size: number } {
  const cur = new ChunkCursor(ctx.buf, offset, ctx.buf.length);
  cur.skip(6);
  const count = cur.u16();
  const size = 8 + count * 2 + 2;
  const cached = ctx.names.get(offset);
  if (cached !== undefined) return { name: cached, size };
  const name = cur.utf16(count);
  ctx.names.set(offset, name);
  return { name, size };
}

/** Reads a name reference; when it points right after itself the name is stored inline. */
function readName(cur: ChunkCursor, ctx: ChunkContext): string {
  const offset = cur.u32();
  if (offset >= ctx.buf.length) throw evtxFormatError('name offset outside the chunk', cur.pos - 4);
  const { name, size } = nameAt(ctx, offset);
  if (offset === cur.pos) cur.skip(size);
  return name;
}

interface ParseScope {
  readonly ctx: ChunkContext;
  /**
   * Open-element tokens carry a u16 dependency id only inside template definitions; elements
   * written directly in a record or in embedded BinXML (value type 0x21) omit it (as read by
   * omerbenamram/evtx's `read_open_start_element_cursor`).
   */
  readonly hasDependencyId: boolean;
}

/**
 * Reads one content token (value, substitution, references, CDATA) into `out`; false if not one.
 * Bit 0x40 of a token is libevtx's "more data follows" flag, hence the `& 0xbf`.
 */
function readContentToken(cur: ChunkCursor, token: number, out: XmlPart[], scope: ParseScope): boolean {
  switch (token & 0xbf) {
    case 0x05: {
      cur.pos++;
      const type = cur.u8();
      if (type === 0x01) {
        const count = cur.u16();
        out.push({ k: 'text', v: cur.utf16(count) });
      } else if (type === 0x02) {
        const count = cur.u16();
        cur.need(count);
        out.push({ k: 'text', v: decodeValue(cur.buf, cur.pos, count, 0x02) });
        cur.pos += count;
      } else {
        throw evtxFormatError(`value token of type 0x${type.toString(16)} is not text`, cur.pos);
      }
      return true;
    }
    case 0x0d:
    case 0x0e: {
      cur.pos++;
      const id = cur.u16();
      cur.u8();
      out.push({ k: 'sub', id, optional: (token & 0xbf) === 0x0e });
      return true;
    }
    case 0x07: {
      cur.pos++;
      const count = cur.u16();
      out.push({ k: 'text', v: cur.utf16(count) });
      return true;
    }
    case 0x08: {
      cur.pos++;
      out.push({ k: 'text', v: String.fromCharCode(cur.u16()) });
      return true;
    }
    case 0x09: {
      cur.pos++;
      const name = readName(cur, scope.ctx);
      out.push({ k: 'text', v: ENTITIES[name] ?? `&${name};` });
      return true;
    }
    default:
      return false;
  }
}

function parseElement(cur: ChunkCursor, scope: ParseScope, depth: number): XmlElement {
  if (depth > MAX_DEPTH) throw evtxFormatError(`elements nested deeper than ${MAX_DEPTH}`, cur.pos);
  const token = cur.u8();
  if (scope.hasDependencyId) cur.u16();
  cur.u32(); // data size: the token stream itself says where the element ends
  const name = readName(cur, scope.ctx);
  const attrs: XmlAttribute[] = [];
  if (token & 0x40) {
    cur.u32(); // attribute list size
    while ((cur.peek() & 0xbf) === 0x06) {
      cur.pos++;
      const attrName = readName(cur, scope.ctx);
      const parts: XmlPart[] = [];
      while (readContentToken(cur, cur.peek(), parts, scope)) {
        /* an attribute value may be several tokens */
      }
      attrs.push({ name: attrName, parts });
    }
  }
  const close = cur.u8();
  if (close === 0x03) return { name, attrs, children: [] };
  if (close !== 0x02) throw evtxFormatError(`expected close-start-element, found token 0x${close.toString(16)}`, cur.pos - 1);
  const children: XmlPart[] = [];
  for (;;) {
    const t = cur.peek();
    if (t === 0x04) {
      cur.pos++;
      return { name, attrs, children };
    }
    if (readContentToken(cur, t, children, scope)) continue;
    const base = t & 0xbf;
    if (base === 0x01) children.push({ k: 'el', el: parseElement(cur, scope, depth + 1) });
    else if (t === 0x0c) children.push({ k: 'inst', inst: parseTemplateInstance(cur, scope, depth + 1) });
    else if (t === 0x0a) {
      // Processing instruction: evtx_dump's JSON output has no place for it, so it is read and dropped.
      cur.pos++;
      readName(cur, scope.ctx);
      if (cur.peek() === 0x0b) {
        cur.pos++;
        cur.utf16(cur.u16());
      }
    } else throw evtxFormatError(`unexpected token 0x${t.toString(16)} inside <${name}>`, cur.pos);
  }
}

/** A fragment: optional fragment headers, then elements / template instances, until EOF or `end`. */
export function parseFragment(cur: ChunkCursor, scope: ParseScope, depth: number): XmlPart[] {
  if (depth > MAX_DEPTH) throw evtxFormatError(`BinXML nested deeper than ${MAX_DEPTH}`, cur.pos);
  const parts: XmlPart[] = [];
  while (cur.pos < cur.end) {
    const t = cur.peek();
    if (t === 0x00) {
      cur.pos++;
      break;
    }
    if (t === 0x0f) cur.skip(4);
    else if (t === 0x0c) parts.push({ k: 'inst', inst: parseTemplateInstance(cur, scope, depth + 1) });
    else if ((t & 0xbf) === 0x01) parts.push({ k: 'el', el: parseElement(cur, scope, depth + 1) });
    else if (!readContentToken(cur, t, parts, scope)) throw evtxFormatError(`unexpected token 0x${t.toString(16)} in fragment`, cur.pos);
  }
  return parts;
}

/** Template definition: u32 next offset, 16-byte GUID, u32 data size, then the body fragment. */
function templateAt(scope: ParseScope, offset: number, depth: number): { body: readonly XmlPart[]; size: number } {
  const { ctx } = scope;
  const head = new ChunkCursor(ctx.buf, offset, ctx.buf.length);
  head.skip(20);
  const dataSize = head.u32();
  const size = 24 + dataSize;
  if (offset + size > ctx.buf.length) throw evtxFormatError('template definition runs past the chunk', offset);
  const cached = ctx.templates.get(offset);
  if (cached !== undefined) return { body: cached, size };
  const broken = ctx.brokenTemplates.get(offset);
  if (broken !== undefined) throw broken;
  if (ctx.inProgress.has(offset)) throw evtxFormatError('template definition refers to itself (loop)', offset);
  ctx.inProgress.add(offset);
  try {
    const body = parseFragment(new ChunkCursor(ctx.buf, offset + 24, offset + size), { ctx, hasDependencyId: true }, depth + 1);
    ctx.templates.set(offset, body);
    return { body, size };
  } catch (e) {
    if (e instanceof Error) ctx.brokenTemplates.set(offset, e);
    throw e;
  } finally {
    ctx.inProgress.delete(offset);
  }
}

/**
 * Template instance: token, u8 unknown, u32 template id, u32 definition offset; the definition is
 * inline when that offset is the cursor position. Then the substitution array: u32 count,
 * count × (u16 size, u8 type, u8 padding), then the values back to back.
 */
function parseTemplateInstance(cur: ChunkCursor, scope: ParseScope, depth: number): TemplateInstance {
  if (depth > MAX_DEPTH) throw evtxFormatError(`template instances nested deeper than ${MAX_DEPTH}`, cur.pos);
  const tokenAt = cur.pos;
  cur.skip(2);
  cur.u32();
  const defOffset = cur.u32();
  if (defOffset >= cur.buf.length) throw evtxFormatError('template definition offset outside the chunk', cur.pos - 4);
  if (defOffset >= tokenAt && defOffset < cur.pos) throw evtxFormatError('template definition offset points into its own instance', tokenAt);
  const { body, size } = templateAt(scope, defOffset, depth);
  if (defOffset === cur.pos) cur.skip(size);
  const count = cur.u32();
  cur.need(count * 4);
  const descriptors: Array<{ size: number; type: number }> = [];
  for (let i = 0; i < count; i++) {
    const size = cur.u16();
    const type = cur.u8();
    cur.u8();
    descriptors.push({ size, type });
  }
  const values: EvtxValue[] = [];
  for (const d of descriptors) {
    cur.need(d.size);
    values.push(d.size === 0 && d.type !== 0x01 ? null : decodeValue(cur.buf, cur.pos, d.size, d.type));
    cur.pos += d.size;
  }
  return { body, values };
}

/** Parses embedded BinXML held in a substitution value (type 0x21). */
export function parseEmbedded(ctx: ChunkContext, start: number, end: number, depth: number): readonly XmlPart[] {
  const cached = ctx.embedded.get(start);
  if (cached !== undefined) return cached;
  const parts = parseFragment(new ChunkCursor(ctx.buf, start, end), { ctx, hasDependencyId: false }, depth + 1);
  ctx.embedded.set(start, parts);
  return parts;
}

/** Parses a record's event data (the BinXML after the 24-byte record header). */
export function parseRecordBinXml(ctx: ChunkContext, start: number, end: number): XmlPart[] {
  return parseFragment(new ChunkCursor(ctx.buf, start, end), { ctx, hasDependencyId: false }, 0);
}
