/** A suppression as a user asks for it (HTTP body or command line), checked. */
import type { Suppression } from '../core/alert.js';
import { VigilError } from '../core/errors.js';
import { newId } from '../core/ids.js';

const DURATION = /^(\d{1,6})([mhdw])$/;
const UNIT: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A suppression from a request: rule (optional), field values, reason (required), and for how long. */
export function suppressionFrom(body: Record<string, unknown>, tenant: string, author: string, now: number): Suppression {
  const reason = text(body['reason'], 'reason').trim();
  if (reason === '') throw new VigilError('bad-request', 'a suppression needs a reason: why these detections are not worth an alert', { where: 'reason' });
  const fieldsRaw = body['fields'] ?? {};
  if (typeof fieldsRaw !== 'object' || fieldsRaw === null || Array.isArray(fieldsRaw)) throw new VigilError('bad-request', 'fields is a map of field name to value, e.g. {"source.ip": "203.0.113.7"}', { where: 'fields' });
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(fieldsRaw)) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype' || k.length > 200) throw new VigilError('bad-request', `field name ${JSON.stringify(k.slice(0, 40))} is not allowed`, { where: 'fields' });
    if (typeof v !== 'string' && typeof v !== 'number') throw new VigilError('bad-request', `fields.${k} must be a text or a number`, { where: `fields.${k}` });
    fields[k] = String(v);
  }
  const ruleId = body['ruleId'] === undefined || body['ruleId'] === null || body['ruleId'] === '' ? undefined : text(body['ruleId'], 'ruleId');
  if (ruleId === undefined && Object.keys(fields).length === 0) {
    throw new VigilError('bad-request', 'a suppression names a rule, field values, or both; one with neither would silence everything', { where: 'ruleId' });
  }
  let expires: number | undefined;
  if (body['for'] !== undefined && body['for'] !== null && body['for'] !== '') {
    const m = DURATION.exec(text(body['for'], 'for'));
    if (!m) throw new VigilError('bad-request', "for is a duration such as 30m, 8h, 7d or 2w", { where: 'for' });
    expires = now + Number(m[1]) * UNIT[m[2]!]!;
  } else if (body['expires'] !== undefined && body['expires'] !== null) {
    const t = Date.parse(text(body['expires'], 'expires'));
    if (!Number.isFinite(t) || t <= now) throw new VigilError('bad-request', 'expires is a time in the future (ISO 8601)', { where: 'expires' });
    expires = t;
  }
  return { id: newId(now), tenant, created: now, author, reason: reason.slice(0, 2000), ...(ruleId ? { ruleId } : {}), fields, ...(expires === undefined ? {} : { expires }), hits: 0 };
}

function text(raw: unknown, name: string): string {
  if (typeof raw !== 'string') throw new VigilError('bad-request', `${name} must be text`, { where: name });
  if (raw.length > 10_000) throw new VigilError('bad-request', `${name} is too long (at most 10,000 characters)`, { where: name });
  return raw;
}
