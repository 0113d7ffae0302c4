/**
 * firewalld's own log lines, as syslog carries them: `[YYYY-MM-DD hh:mm:ss ]LEVEL: text`, where
 * an error text often starts with firewalld's error code (`COMMAND_FAILED: '…' failed: …`,
 * `ZONE_ALREADY_SET`). The level is what alerting on a broken firewall keys on.
 */
import type { Fields } from '../../core/event.js';

const LEVELS = new Set(['ERROR', 'WARNING', 'INFO', 'DEBUG', 'CRITICAL', 'FATAL']);

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

/** `2014-07-18 10:51:43 ` at the start: firewalld's own clock, before the level. */
function clockLength(s: string): number {
  return s.length > 20 && isDigitAt(s, 0) && isDigitAt(s, 3) && s[4] === '-' && s[7] === '-' && s[10] === ' ' && s[13] === ':' && s[16] === ':' && s[19] === ' ' ? 20 : 0;
}

export function addFirewalldFields(message: string, into: Fields): boolean {
  const start = clockLength(message);
  const colon = message.indexOf(':', start);
  if (colon < 0 || colon - start > 8) return false;
  const level = message.slice(start, colon);
  if (!LEVELS.has(level)) return false;
  into['log.level'] = level.toLowerCase();
  // An error code is an upper-case word with underscores, alone or before `:`.
  let i = colon + 1;
  while (message.charCodeAt(i) === 0x20) i++;
  let e = i;
  while (e < message.length && e - i < 64 && /[A-Z_]/.test(message[e]!)) e++;
  if (e > i && message.slice(i, e).includes('_') && (e === message.length || message[e] === ':')) into['error.code'] = message.slice(i, e);
  return true;
}
