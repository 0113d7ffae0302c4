/**
 * Windows-style event XML as text (`<Event><System>…</System><EventData><Data Name="…">…`):
 * what Sysmon for Linux writes into syslog. Read with a few linear patterns rather than an XML
 * library: the schema is fixed, and nothing here resolves entities beyond the five predefined
 * ones, so no external entity or expansion bomb can reach us.
 */
import type { Fields } from '../../core/event.js';
import { addWindowsEcs, canonicalNative, type WindowsEvent } from './windows-event-ecs.js';

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decode(text: string): string {
  return text.includes('&') ? text.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ENTITIES[e]!) : text;
}

const SYSTEM: Record<string, RegExp> = {
  EventID: /<EventID(?: [^>]{0,200})?>(\d{1,10})<\/EventID>/,
  Version: /<Version>(\d{1,5})<\/Version>/,
  Level: /<Level>(\d{1,5})<\/Level>/,
  Task: /<Task>(\d{1,10})<\/Task>/,
  Opcode: /<Opcode>(\d{1,5})<\/Opcode>/,
  Keywords: /<Keywords>([^<]{0,100})<\/Keywords>/,
  EventRecordID: /<EventRecordID>(\d{1,20})<\/EventRecordID>/,
  Channel: /<Channel>([^<]{0,300})<\/Channel>/,
  Computer: /<Computer>([^<]{0,300})<\/Computer>/,
  Provider_Name: /<Provider Name="([^"]{0,300})"/,
  TimeCreated: /<TimeCreated SystemTime="([^"]{0,64})"/,
  UserID: /<Security UserId="([^"]{0,200})"/,
};

const DATA = /<Data Name="([^"]{1,200})">([^<]*)<\/Data>/g;

export function isEventXml(text: string): boolean {
  return text.startsWith('<Event') && text.includes('<System>');
}

export function eventXmlFields(text: string): WindowsEvent | undefined {
  if (!isEventXml(text)) return undefined;
  const native: Fields = Object.create(null) as Fields;
  for (const [name, pattern] of Object.entries(SYSTEM)) {
    const m = pattern.exec(text);
    if (m) native[name] = decode(m[1]!);
  }
  if (native['EventID'] === undefined) return undefined;
  for (const m of text.matchAll(DATA)) {
    const name = m[1]!;
    if (name === '__proto__' || name === 'constructor' || name === 'prototype' || name in native) continue;
    native[name] = decode(m[2]!);
  }
  return addWindowsEcs(canonicalNative(native));
}
