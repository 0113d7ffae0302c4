/**
 * Node tree + substitution values → the JSON shape of omerbenamram/evtx's `evtx_dump -o json`
 * (its `JsonOutput`): child elements become keys, an element without (non-null) attributes is
 * its text or `null`, one with attributes is `{"#attributes": {...}, "#text": ...}`, and
 * `<Data Name="X">v</Data>` becomes `"X": v`. Attributes whose value is null (an optional
 * substitution left empty) are dropped, as Windows drops them when rendering.
 *
 * A repeated child name keeps every occurrence as an array, so nothing an analyst may search for
 * is lost (evtx_dump's handling of duplicate keys has varied between its versions).
 *
 * Substituted values are expanded, so a value used many times by nested templates could grow
 * the output exponentially; MAX_NODES bounds the work per record and MAX_CHUNK_NODES per chunk.
 */
import { evtxFormatError, type EvtxScalar, type EvtxValue } from './binxml-reader.js';
import { ChunkContext, MAX_DEPTH, parseEmbedded, type XmlElement, type XmlPart } from './binxml-template.js';

export type JsonValue = EvtxScalar | JsonValue[] | JsonTree;
export interface JsonTree {
  [key: string]: JsonValue;
}

const MAX_NODES = 100_000;
/**
 * A record of a few bytes may instantiate a cached template of thousands of nodes, so the chunk
 * has a budget too; real chunks use a few tens of thousands (hundreds of records × ~60 nodes).
 */
const MAX_CHUNK_NODES = 2_000_000;

/** Sets an own property even for names like `__proto__`, which plain assignment would not. */
function setOwn(obj: JsonTree, key: string, value: JsonValue): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

function hasOwn(obj: JsonTree, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function isTree(v: JsonValue | undefined): v is JsonTree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Emitter {
  readonly ctx: ChunkContext;
  nodes: number;
  /** Keys that already hold an array of repeated children, per object. */
  readonly repeated: WeakMap<JsonTree, Set<string>>;
}

/** A resolved piece of content: a JSON value or an element with the values it resolves against. */
type Resolved = { readonly v: JsonValue } | { readonly el: XmlElement; readonly values: readonly EvtxValue[] };

function tick(em: Emitter): void {
  if (++em.nodes > MAX_NODES) throw evtxFormatError(`record expands to more than ${MAX_NODES} nodes`);
  if (++em.ctx.nodes > MAX_CHUNK_NODES) throw evtxFormatError(`chunk expands to more than ${MAX_CHUNK_NODES} nodes`);
}

function resolveParts(em: Emitter, parts: readonly XmlPart[], values: readonly EvtxValue[], depth: number, out: Resolved[]): void {
  if (depth > MAX_DEPTH) throw evtxFormatError(`BinXML nested deeper than ${MAX_DEPTH}`);
  for (const p of parts) {
    tick(em);
    if (p.k === 'el') out.push({ el: p.el, values });
    else if (p.k === 'inst') resolveParts(em, p.inst.body, p.inst.values, depth + 1, out);
    else {
      const v = p.k === 'text' ? p.v : (values[p.id] ?? null);
      if (v !== null && typeof v === 'object' && 'kind' in v) {
        resolveParts(em, parseEmbedded(em.ctx, v.start, v.end, depth), [], depth + 1, out);
      } else out.push({ v: v === null ? null : Array.isArray(v) ? [...(v as EvtxScalar[])] : (v as EvtxScalar) });
    }
  }
}

/** Joins several text pieces; a single piece keeps its JSON type (numbers stay numbers). */
function joinText(pieces: readonly JsonValue[]): JsonValue {
  const present = pieces.filter((p) => p !== null);
  if (present.length === 0) return null;
  if (present.length === 1) return present[0] as JsonValue;
  return present.map((p) => (Array.isArray(p) ? p.join(',') : String(p))).join('');
}

function addChild(em: Emitter, parent: JsonTree, key: string, value: JsonValue): void {
  if (!hasOwn(parent, key)) {
    setOwn(parent, key, value);
    return;
  }
  let keys = em.repeated.get(parent);
  if (keys === undefined) em.repeated.set(parent, (keys = new Set()));
  const existing = parent[key] as JsonValue;
  if (keys.has(key) && Array.isArray(existing)) existing.push(value);
  else {
    keys.add(key);
    setOwn(parent, key, [existing, value]);
  }
}

function emitElement(em: Emitter, parent: JsonTree, el: XmlElement, values: readonly EvtxValue[], depth: number): void {
  if (depth > MAX_DEPTH) throw evtxFormatError(`elements nested deeper than ${MAX_DEPTH}`);
  const attributes: JsonTree = {};
  let attrCount = 0;
  for (const a of el.attrs) {
    const pieces: Resolved[] = [];
    resolveParts(em, a.parts, values, depth + 1, pieces);
    const v = joinText(pieces.map((r) => ('v' in r ? r.v : null)));
    if (v !== null) {
      setOwn(attributes, a.name, v);
      attrCount++;
    }
  }
  const content: Resolved[] = [];
  resolveParts(em, el.children, values, depth + 1, content);

  const dataName = el.name === 'Data' ? attributes['Name'] : undefined;
  if (el.name === 'Data' && dataName === undefined) {
    // Unnamed <Data>: evtx_dump writes {"Data": {"#text": v}}; repeats collect into an array.
    const text = joinText(content.map((r) => ('v' in r ? r.v : null)));
    const existing = parent['Data'];
    if (hasOwn(parent, 'Data') && isTree(existing) && hasOwn(existing, '#text')) {
      const prior = existing['#text'] as JsonValue;
      const keys = em.repeated.get(existing) ?? new Set<string>();
      em.repeated.set(existing, keys);
      if (keys.has('#text') && Array.isArray(prior)) prior.push(text);
      else {
        keys.add('#text');
        existing['#text'] = [prior, text];
      }
    } else addChild(em, parent, 'Data', { '#text': text });
    return;
  }

  const key = dataName !== undefined ? (Array.isArray(dataName) ? dataName.join(',') : String(dataName)) : el.name;
  const withAttributes = dataName === undefined && attrCount > 0;
  let node: JsonValue = withAttributes ? { '#attributes': attributes } : null;
  const texts: JsonValue[] = [];
  for (const r of content) {
    if ('el' in r) {
      if (!isTree(node)) node = node === null ? {} : { '#text': node };
      emitElement(em, node, r.el, r.values, depth + 1);
    } else if (r.v !== null) texts.push(r.v);
  }
  // Element text is trimmed: the reference exports do so (Sysmon writes CommandLine with a
  // trailing space; all 60 Sigma regression .json files carry it without), and rules match on it.
  const joined = joinText(texts);
  const text = typeof joined === 'string' ? joined.trim() : joined;
  if (text !== null) {
    if (isTree(node)) setOwn(node, '#text', text);
    else node = text;
  }
  addChild(em, parent, key, node);
}

/** Builds `{"Event": {...}}` for one record from its parsed BinXML. */
export function buildRecordTree(ctx: ChunkContext, parts: readonly XmlPart[]): JsonTree {
  const em: Emitter = { ctx, nodes: 0, repeated: new WeakMap() };
  const root: JsonTree = {};
  const top: Resolved[] = [];
  resolveParts(em, parts, [], 0, top);
  for (const r of top) if ('el' in r) emitElement(em, root, r.el, r.values, 1);
  return root;
}
