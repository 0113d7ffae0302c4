import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FieldValue } from '../../core/event.js';
import { RuleError } from './rule-document.js';
import { ruleEvent } from './rule-event.test-support.js';
import {
  base64OffsetVariants,
  compileDetectionItem,
  compileRegex,
  compileSearchIdentifier,
  requiredRegexLiterals,
  timePart,
  type MatcherOptions,
} from './value-matchers.js';

/** A small seeded PRNG (mulberry32), so property tests are repeatable. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reference wildcard matcher (dynamic programming over pattern × text). */
function referenceGlob(pattern: string, text: string, windash: boolean): boolean {
  const dashes = '-/\u2013\u2014\u2015';
  const same = (p: string, c: string) => p === c || (windash && dashes.includes(p) && dashes.includes(c));
  let row = new Array<boolean>(text.length + 1).fill(false);
  row[0] = true;
  for (const p of pattern) {
    const next = new Array<boolean>(text.length + 1).fill(false);
    for (let j = 0; j <= text.length; j++) {
      if (p === '*') next[j] = row[j]! || (j > 0 && next[j - 1]!);
      else if (j > 0) next[j] = row[j - 1]! && (p === '?' || same(p, text[j - 1]!));
    }
    row = next;
  }
  return row[text.length]!;
}


/** Does `key: value` match an event with `fields`? */
function matches(key: string, value: unknown, fields: Record<string, FieldValue>, options?: MatcherOptions): boolean {
  return compileDetectionItem(key, value, `detection.selection.${key}`, options).test(ruleEvent(fields));
}

function ruleError(build: () => unknown, reason: RegExp): void {
  assert.throws(build, (err: unknown) => {
    assert.ok(err instanceof RuleError, `expected a RuleError, got ${String(err)}`);
    assert.match(err.reason, reason);
    return true;
  });
}

describe('Sigma values', () => {
  describe('plain strings', () => {
    it('match the whole value, case-insensitively', () => {
      const v = 'C:\\Windows\\System32\\whoami.exe';
      assert.equal(matches('Image', v, { Image: 'c:\\windows\\system32\\WHOAMI.EXE' }), true);
      assert.equal(matches('Image', v, { Image: 'C:\\Windows\\System32\\whoami.exe.bak' }), false);
      assert.equal(matches('Image', v, { Image: 'D:\\C:\\Windows\\System32\\whoami.exe' }), false);
      assert.equal(matches('Image', v, {}), false);
    });
    it("'' matches only an empty value, not an absent field", () => {
      assert.equal(matches('User', '', { User: '' }), true);
      assert.equal(matches('User', '', { User: 'x' }), false);
      assert.equal(matches('User', '', {}), false);
    });
    it('null matches an absent or null field only', () => {
      assert.equal(matches('PasswordLastSet', null, {}), true);
      assert.equal(matches('PasswordLastSet', null, { PasswordLastSet: null }), true);
      assert.equal(matches('PasswordLastSet', null, { PasswordLastSet: '' }), false);
      assert.equal(matches('PasswordLastSet', null, { PasswordLastSet: '%%1794' }), false);
    });
    it('a number matches the number and its text, and a text matches a number', () => {
      assert.equal(matches('EventID', 4688, { EventID: 4688 }), true);
      assert.equal(matches('EventID', 4688, { EventID: '4688' }), true);
      assert.equal(matches('EventID', 4688, { EventID: 46880 }), false);
      assert.equal(matches('EventID', '4688', { EventID: 4688 }), true);
      assert.equal(matches('EventID', '46*', { EventID: 4688 }), true);
    });
    it('a boolean matches the boolean and its text', () => {
      assert.equal(matches('Signed', true, { Signed: true }), true);
      assert.equal(matches('Signed', true, { Signed: 'True' }), true);
      assert.equal(matches('Signed', true, { Signed: false }), false);
    });
    it('a field holding an array matches when any element matches', () => {
      assert.equal(matches('Tags|contains', 'evil', { Tags: ['good', 'EVIL-ish'] }), true);
      assert.equal(matches('Tags', 'good', { Tags: ['bad', ['good']] }), true);
      assert.equal(matches('Tags', 'good', { Tags: ['bad'] }), false);
    });
    it('a list of values is OR-ed', () => {
      assert.equal(matches('EventID', [517, 1102], { EventID: 1102 }), true);
      assert.equal(matches('EventID', [517, 1102], { EventID: 4624 }), false);
      assert.equal(matches('EventID', [517, null], {}), true);
    });
  });

  describe('wildcards and escapes', () => {
    it("'?' is one mandatory character: prog?.exe", () => {
      assert.equal(matches('Image', 'prog?.exe', { Image: 'progA.exe' }), true);
      assert.equal(matches('Image', 'prog?.exe', { Image: 'prog.exe' }), false);
      assert.equal(matches('Image', 'prog?.exe', { Image: 'progAB.exe' }), false);
    });
    it("'*' is any run: antivirus_V*.exe", () => {
      assert.equal(matches('Image', 'antivirus_V*.exe', { Image: 'antivirus_V1.exe' }), true);
      assert.equal(matches('Image', 'antivirus_V*.exe', { Image: 'antivirus_V21.2.1.exe' }), true);
      assert.equal(matches('Image', 'antivirus_V*.exe', { Image: 'antivirus_V21.2.1.exe.txt' }), false);
    });
    it('general patterns anchor the first and last parts and find the middle ones in order', () => {
      assert.equal(matches('C', 'a*b*c', { C: 'AxxBxxC' }), true);
      assert.equal(matches('C', 'a*b*c', { C: 'axxcxxb' }), false);
      assert.equal(matches('C', 'ab*ab', { C: 'abab' }), true);
      assert.equal(matches('C', 'ab*ab', { C: 'aba' }), false, 'the first and last parts do not overlap');
      assert.equal(matches('C', '*x?z*y', { C: '..xaz..y' }), true);
      assert.equal(matches('C', '*x?z*y', { C: '..xz..y' }), false);
      assert.equal(matches('C', '*', { C: '' }), true);
      assert.equal(matches('C', '*', {}), false, "'*' needs the field");
    });
    it('agree with a reference matcher on 20,000 random patterns and texts (with and without windash)', () => {
      const next = random(42);
      const pick = (chars: string) => chars[Math.floor(next() * chars.length)]!;
      for (let n = 0; n < 20000; n++) {
        const pattern = Array.from({ length: 1 + Math.floor(next() * 7) }, () => pick('ab-/**??')).join('');
        const text = Array.from({ length: Math.floor(next() * 9) }, () => pick('ab-/\u2013')).join('');
        const windash = n % 2 === 1;
        const key = windash ? 'C|windash' : 'C';
        assert.equal(matches(key, pattern, { C: text }), referenceGlob(pattern, text, windash), `${key}: '${pattern}' on '${text}'`);
      }
    });
    it('runs in linear time on adversarial input (no backtracking)', () => {
      const text = 'a'.repeat(200_000);
      const started = performance.now();
      assert.equal(matches('C', '*a*a*a*a*a*a*a*a*a*a*b', { C: text }), false);
      assert.equal(matches('C', '*a?a?a?a?a?a?a?a?b*', { C: text }), false);
      assert.ok(performance.now() - started < 2000);
    });
    it('escaping: \\* and \\? are plain characters, \\\\ is one backslash, a backslash before anything else is itself', () => {
      assert.equal(matches('C', 'a\\*b', { C: 'a*b' }), true);
      assert.equal(matches('C', 'a\\*b', { C: 'axb' }), false);
      assert.equal(matches('C', 'a\\?b', { C: 'a?b' }), true);
      assert.equal(matches('C', 'a\\?b', { C: 'axb' }), false);
      assert.equal(matches('C', 'C:\\Windows', { C: 'C:\\Windows' }), true, 'single backslash');
      assert.equal(matches('C', 'C:\\\\Windows', { C: 'C:\\Windows' }), true, 'double backslash is one backslash');
    });
    it('escaping: \\\\* is a backslash then a wildcard; \\\\\\* a backslash then a star; four backslashes are two', () => {
      assert.equal(matches('C', 'dir\\\\*', { C: 'dir\\anything' }), true);
      assert.equal(matches('C', 'dir\\\\*', { C: 'dir' }), false);
      assert.equal(matches('C', 'dir\\\\\\*', { C: 'dir\\*' }), true);
      assert.equal(matches('C', 'dir\\\\\\*', { C: 'dir\\x' }), false);
      assert.equal(matches('C', '\\\\\\\\srv', { C: '\\\\srv' }), true);
      assert.equal(matches('C', '\\\\\\srv', { C: '\\\\srv' }), true, 'three backslashes are two as well');
    });
  });

  describe('generic modifiers', () => {
    it('contains, startswith and endswith put wildcards around, after and before the value', () => {
      assert.equal(matches('CommandLine|contains', ' -enc ', { CommandLine: 'powershell -ENC abc' }), true);
      assert.equal(matches('User|startswith', 'adm', { User: 'ADM_bob' }), true);
      assert.equal(matches('User|startswith', 'adm', { User: 'x_adm' }), false);
      assert.equal(matches('Image|endswith', '\\cmd.exe', { Image: 'C:\\Windows\\System32\\CMD.EXE' }), true);
      assert.equal(matches('Image|endswith', '\\cmd.exe', { Image: 'C:\\cmd.exe.bak' }), false);
      assert.equal(matches('C|contains', 'a?c', { C: 'xxabcxx' }), true, 'wildcards inside keep working');
    });
    it('all: every value of the list must match', () => {
      const key = 'CommandLine|contains|all';
      assert.equal(matches(key, ['-nop', '-w hidden'], { CommandLine: 'powershell -w hidden -nop' }), true);
      assert.equal(matches(key, ['-nop', '-w hidden'], { CommandLine: 'powershell -nop' }), false);
    });
    it('all: a single value is not allowed', () => {
      ruleError(() => compileDetectionItem('CommandLine|contains|all', 'x', 'detection.sel.CommandLine|contains|all'), /'all' needs a list of values/);
    });
    it('exists: true when the field is present (even empty or null), false when absent', () => {
      assert.equal(matches('PasswordLastSet|exists', true, { PasswordLastSet: '' }), true);
      assert.equal(matches('PasswordLastSet|exists', true, { PasswordLastSet: null }), true);
      assert.equal(matches('PasswordLastSet|exists', true, {}), false);
      assert.equal(matches('PasswordLastSet|exists', false, {}), true);
      assert.equal(matches('PasswordLastSet|exists', false, { PasswordLastSet: 'x' }), false);
      ruleError(() => compileDetectionItem('F|exists', 'yes', 'p'), /'exists' takes true or false/);
      ruleError(() => compileDetectionItem('F|exists|contains', true, 'p'), /'contains' can't be combined with 'exists'/);
    });
    it('cased: values are compared case-sensitively', () => {
      assert.equal(matches('C|cased', 'Invoke-Mimikatz', { C: 'Invoke-Mimikatz' }), true);
      assert.equal(matches('C|cased', 'Invoke-Mimikatz', { C: 'invoke-mimikatz' }), false);
      assert.equal(matches('C|cased|contains', 'Mimi', { C: 'xxMimixx' }), true);
      assert.equal(matches('C|cased|contains', 'Mimi', { C: 'xxmimixx' }), false);
      assert.equal(matches('C|cased', '4688', { C: 4688 }), true);
    });
    it('neq: the field differs from every value (an absent field differs too)', () => {
      assert.equal(matches('User|neq', 'SYSTEM', { User: 'bob' }), true);
      assert.equal(matches('User|neq', 'SYSTEM', { User: 'system' }), false);
      assert.equal(matches('User|neq', ['SYSTEM', 'LOCAL SERVICE'], { User: 'local service' }), false);
      assert.equal(matches('User|neq', ['SYSTEM', 'LOCAL SERVICE'], { User: 'bob' }), true);
      assert.equal(matches('User|neq', 'SYSTEM', {}), true);
      assert.equal(matches('LogonType|neq', 3, { LogonType: 10 }), true);
      assert.equal(matches('LogonType|neq', 3, { LogonType: '3' }), false);
    });
  });

  describe('string modifiers', () => {
    it('windash: -, /, en dash, em dash and horizontal bar are interchangeable', () => {
      for (const dash of ['-', '/', '\u2013', '\u2014', '\u2015']) {
        assert.equal(matches('CommandLine|windash|contains', ' -enc ', { CommandLine: `powershell ${dash}enc abc` }), true, `dash ${dash}`);
        assert.equal(matches('CommandLine|contains|windash', ' /enc ', { CommandLine: `powershell ${dash}enc abc` }), true, `dash ${dash}`);
      }
      assert.equal(matches('CommandLine|windash|contains', ' -enc ', { CommandLine: 'powershell +enc abc' }), false);
      assert.equal(matches('CommandLine|windash', '-a -b', { CommandLine: '/a \u2014b' }), true, 'every dash position varies on its own');
    });
    it('re: a regular expression, matched anywhere in the value, case-sensitive', () => {
      assert.equal(matches('C|re', 'net\\s+user', { C: 'cmd /c net  user x' }), true);
      assert.equal(matches('C|re', 'net\\s+user', { C: 'NET USER' }), false);
      assert.equal(matches('C|re', '^net', { C: 'x net' }), false, 'anchors work');
      assert.equal(matches('C|re', 'APT\\d', { C: 'APT29' }), true);
    });
    it('re sub-modifiers: i (insensitive), m (multi-line ^ and $), s (dot matches newline)', () => {
      assert.equal(matches('C|re|i', 'net\\s+user', { C: 'NET USER' }), true);
      assert.equal(matches('C|re', '^user$', { C: 'net\nuser\nx' }), false);
      assert.equal(matches('C|re|m', '^user$', { C: 'net\nuser\nx' }), true);
      assert.equal(matches('C|re', 'a.b', { C: 'a\nb' }), false);
      assert.equal(matches('C|re|s', 'a.b', { C: 'a\nb' }), true);
      assert.equal(matches('C|re|ignorecase', 'abc', { C: 'ABC' }), true, "pySigma's long names work too");
    });
    it('re: inline flags like (?i), lookbehinds and the PCRE subset work', () => {
      assert.equal(matches('C|re', '(?i)invoke-(?:expression|webrequest)', { C: 'INVOKE-WebRequest' }), true);
      assert.equal(matches('C|re', '(?<=foo)bar', { C: 'foobar' }), true);
      assert.equal(matches('C|re', '(?<=foo)bar', { C: 'bazbar' }), false);
      assert.equal(matches('C|re', '[a-f0-9]{4,8}\\.(?:[a-z0-9\\-]+\\.){2}[a-z0-9\\-]+', { C: 'x deadbeef.a-b.c.d' }), true);
    });
    it('re runs in linear time (no catastrophic backtracking)', () => {
      const started = performance.now();
      assert.equal(matches('C|re', '^(a+)+$', { C: `${'a'.repeat(5000)}!` }), false);
      assert.ok(performance.now() - started < 2000);
    });
    it('re: lookaheads and backreferences are rejected with the reason', () => {
      ruleError(() => compileDetectionItem('C|re', 'a(?=b)', 'detection.sel.C|re'), /detection\.sel\.C\|re: the regular expression 'a\(\?=b\)' can't be compiled by the linear-time engine/);
      ruleError(() => compileDetectionItem('C|re', '(a)\\1', 'detection.sel.C|re'), /can't be compiled/);
    });
    it('re with startswith / endswith anchors the expression', () => {
      assert.equal(matches('C|re|startswith', 'a+b', { C: 'aab-x' }), true);
      assert.equal(matches('C|re|startswith', 'a+b', { C: 'x-aab' }), false);
      assert.equal(matches('C|re|endswith', 'a+b|zz', { C: 'x-aab' }), true);
      assert.equal(matches('C|re|endswith', 'a+b|zz', { C: 'zz-x' }), false);
    });
    it("i, m and s only follow 're'", () => {
      ruleError(() => compileDetectionItem('C|contains|i', 'x', 'p'), /modifier 'i' only applies after 're'/);
    });
  });

  describe('encodings', () => {
    it('base64: the value is Base64-encoded before matching', () => {
      assert.equal(matches('C|base64|contains', 'http://', { C: 'xx aHR0cDovLw== yy' }), true);
      assert.equal(matches('C|base64', 'http://', { C: 'aHR0cDovLw==' }), true);
    });
    it('base64offset: the three shifted encodings of a value inside a longer Base64 text', () => {
      assert.deepEqual(base64OffsetVariants(new TextEncoder().encode('/bin/bash')), ['L2Jpbi9iYXNo', '9iaW4vYmFza', 'vYmluL2Jhc2']);
      assert.deepEqual(base64OffsetVariants(new TextEncoder().encode('http://')), ['aHR0cDovL', 'h0dHA6Ly', 'odHRwOi8v']);
      // 'xx IEX (New-Object' encoded: the value sits at byte offset 3.
      assert.equal(matches('C|base64offset|contains', 'IEX (New-Object', { C: 'powershell -e eHggSUVYIChOZXctT2JqZWN0' }), true);
      for (const prefix of ['', 'a', 'ab', 'abc']) {
        const encoded = Buffer.from(`${prefix}IEX (New-Object Net.WebClient)`).toString('base64');
        assert.equal(matches('C|base64offset|contains', 'IEX (New-Object', { C: `-enc ${encoded}` }), true, `offset ${prefix.length}`);
      }
      assert.equal(matches('C|base64offset|contains', 'IEX (New-Object', { C: Buffer.from('nothing here at all').toString('base64') }), false);
    });
    it('utf16le (wide), utf16be and utf16 (with byte order mark) re-encode before Base64', () => {
      const wide = Buffer.from('powershell -nop -c ping evil', 'utf16le').toString('base64');
      assert.equal(matches('CommandLine|wide|base64offset|contains', 'ping', { CommandLine: `powershell -enc ${wide}` }), true);
      assert.equal(matches('CommandLine|utf16le|base64offset|contains', 'ping', { CommandLine: `powershell -enc ${wide}` }), true);
      assert.equal(matches('CommandLine|base64offset|contains', 'ping', { CommandLine: `powershell -enc ${wide}` }), false);
      assert.equal(matches('C|utf16be|base64', 'cmd', { C: 'AGMAbQBk' }), true);
      assert.equal(matches('C|utf16|base64', 'cmd', { C: '//5jAG0AZAA=' }), true);
    });
    it("without Base64 the re-encoded bytes are matched as characters: 'cmd' > 63 00 6d 00 64 00", () => {
      assert.equal(matches('C|wide', 'cmd', { C: 'c\u0000m\u0000d\u0000' }), true);
      assert.equal(matches('C|utf16be', 'cmd', { C: '\u0000c\u0000m\u0000d' }), true);
      assert.equal(matches('C|utf16', 'cmd', { C: '\u00ff\u00fec\u0000m\u0000d\u0000' }), true);
    });
    it('windash before an encoding encodes every spelling', () => {
      const encoded = Buffer.from('x /nop y', 'utf16le').toString('base64');
      assert.equal(matches('C|windash|wide|base64offset|contains', '-nop', { C: encoded }), true);
    });
    it('encoding a value with wildcards is an error', () => {
      ruleError(() => compileDetectionItem('C|base64', 'a*b', 'detection.sel.C|base64'), /'base64' can't encode a value with wildcards/);
    });
  });

  describe('numeric and time modifiers', () => {
    it('lt, lte, gt and gte compare numbers and numeric texts', () => {
      assert.equal(matches('Count|gt', 10, { Count: 11 }), true);
      assert.equal(matches('Count|gt', 10, { Count: 10 }), false);
      assert.equal(matches('Count|gte', 10, { Count: '10' }), true);
      assert.equal(matches('Count|lt', 10, { Count: 9.5 }), true);
      assert.equal(matches('Count|lte', '10', { Count: 10 }), true);
      assert.equal(matches('Count|lt', 10, { Count: 'abc' }), false);
      assert.equal(matches('Count|lt', 10, {}), false);
      assert.equal(matches('Count|gt', 10, { Count: [1, 20] }), true);
      ruleError(() => compileDetectionItem('Count|gt', 'ten', 'p'), /'gt' needs a number/);
      ruleError(() => compileDetectionItem('Count|gt|lt', 1, 'p'), /use one of lt, lte, gt, gte per item/);
    });
    it('minute, hour, day, week, month and year take a part of a date, as written', () => {
      const t = { UtcTime: '2024-01-15 23:20:30.123' };
      assert.equal(matches('UtcTime|minute', 20, t), true);
      assert.equal(matches('UtcTime|hour', 23, t), true);
      assert.equal(matches('UtcTime|day', 15, t), true);
      assert.equal(matches('UtcTime|week', 3, t), true);
      assert.equal(matches('UtcTime|month', 1, t), true);
      assert.equal(matches('UtcTime|year', 2024, t), true);
      assert.equal(matches('UtcTime|hour', 22, t), false);
      assert.equal(matches('UtcTime|hour|gte', 22, t), true, 'a time part can be compared');
      assert.equal(matches('UtcTime|hour', [0, 1, 2, 23], t), true);
      assert.equal(timePart('2026-11-28T10:00:00+05:00', 'hour'), 10, 'no time-zone conversion');
      assert.equal(timePart(Date.UTC(2021, 0, 3, 4, 5) / 1000, 'week'), 53, 'epoch seconds; ISO week of 2021-01-03');
      assert.equal(timePart('not a date', 'hour'), undefined);
    });
  });

  describe('cidr', () => {
    it('matches IPv4 networks', () => {
      assert.equal(matches('DestinationIp|cidr', '10.0.0.0/8', { DestinationIp: '10.1.2.3' }), true);
      assert.equal(matches('DestinationIp|cidr', '10.0.0.0/8', { DestinationIp: '11.1.2.3' }), false);
      assert.equal(matches('DestinationIp|cidr', ['192.168.0.0/16', '172.16.0.0/12'], { DestinationIp: '172.31.255.255' }), true);
      assert.equal(matches('DestinationIp|cidr', '127.0.0.1', { DestinationIp: '127.0.0.1' }), true, 'an address is a /32');
      assert.equal(matches('DestinationIp|cidr', '0.0.0.0/0', { DestinationIp: '8.8.8.8' }), true);
      assert.equal(matches('DestinationIp|cidr', '10.0.0.0/8', { DestinationIp: 'not-an-ip' }), false);
      assert.equal(matches('DestinationIp|cidr', '10.0.0.0/8', { DestinationIp: '10.0.0.256' }), false);
    });
    it('matches IPv6 networks, and IPv4-mapped IPv6 addresses against IPv4 networks', () => {
      assert.equal(matches('Ip|cidr', 'fe80::/10', { Ip: 'FE80::1%eth0' }), true);
      assert.equal(matches('Ip|cidr', 'fe80::/10', { Ip: 'fec0::1' }), false);
      assert.equal(matches('Ip|cidr', '2001:db8::/32', { Ip: '2001:db8:0:0:1:0:0:1' }), true);
      assert.equal(matches('Ip|cidr', '::1/128', { Ip: '::1' }), true);
      assert.equal(matches('Ip|cidr', '10.0.0.0/8', { Ip: '::ffff:10.9.8.7' }), true);
      assert.equal(matches('Ip|cidr', '::ffff:0:0/96', { Ip: '::ffff:10.9.8.7' }), true);
    });
    it('rejects what is not a network', () => {
      ruleError(() => compileDetectionItem('Ip|cidr', '10.0.0.0/33', 'p'), /'10\.0\.0\.0\/33' is not an IPv4 or IPv6 network/);
      ruleError(() => compileDetectionItem('Ip|cidr', 'bad', 'p'), /not an IPv4 or IPv6 network/);
      ruleError(() => compileDetectionItem('Ip|cidr|contains', '10.0.0.0/8', 'p'), /'contains' can't be combined with 'cidr'/);
    });
  });

  describe('specific modifiers', () => {
    const placeholders = { Administrators: ['admin*', 'root'], DomainControllers: ['dc01', 'dc02'] };
    it('expand: %placeholders% are replaced by their configured values (OR-ed)', () => {
      assert.equal(matches('User|expand', '%Administrators%', { User: 'Admin_Bob' }, { placeholders }), true);
      assert.equal(matches('User|expand', '%Administrators%', { User: 'root' }, { placeholders }), true);
      assert.equal(matches('User|expand', '%Administrators%', { User: 'bob' }, { placeholders }), false);
      assert.equal(matches('Host|contains|expand', '%DomainControllers%.corp', { Host: 'x.dc02.corp' }, { placeholders }), true);
    });
    it('expand: \\% is a plain percent sign; without expand, %name% is plain text', () => {
      assert.equal(matches('C|expand', '\\%plain%Administrators%', { C: '%plainroot' }, { placeholders }), true);
      assert.equal(matches('C', '%Administrators%', { C: '%administrators%' }), true);
    });
    it('expand: a placeholder without values rejects the rule', () => {
      ruleError(() => compileDetectionItem('User|expand', '%Workstations%', 'detection.sel.User|expand', { placeholders }), /detection\.sel\.User\|expand: placeholder '%Workstations%' has no values; configure placeholders\.Workstations/);
    });
    it('expand: a placeholder configured as an empty list matches nothing (the rule still loads)', () => {
      const none = { Nobody: [] as string[] };
      assert.equal(matches('User|expand', '%Nobody%', { User: 'root' }, { placeholders: none }), false);
      assert.equal(matches('User|expand', '%Nobody%', { User: '' }, { placeholders: none }), false);
      assert.equal(matches('User|re|expand', '^%Nobody%$', { User: '' }, { placeholders: none }), false);
    });
    it('fieldref: compares with another field of the same event, also with neq', () => {
      assert.equal(matches('TargetFilename|fieldref', 'Image', { TargetFilename: 'C:\\a.exe', Image: 'c:\\A.EXE' }), true);
      assert.equal(matches('TargetFilename|fieldref', 'Image', { TargetFilename: 'C:\\a.exe', Image: 'C:\\b.exe' }), false);
      assert.equal(matches('TargetFilename|fieldref', 'Image', { TargetFilename: 'C:\\a.exe' }), false);
      assert.equal(matches('User|fieldref|neq', 'ParentUser', { User: 'a', ParentUser: 'b' }), true);
      assert.equal(matches('User|fieldref|neq', 'ParentUser', { User: 'a', ParentUser: 'A' }), false);
      assert.equal(matches('User|fieldref|cased', 'ParentUser', { User: 'a', ParentUser: 'A' }), false);
      assert.equal(matches('CommandLine|fieldref|contains', 'Image', { CommandLine: '"c:\\x.exe" -a', Image: 'C:\\X.exe' }), true);
      assert.equal(matches('CommandLine|fieldref|startswith', 'Image', { CommandLine: '"c:\\x.exe" -a', Image: 'C:\\X.exe' }), false);
    });
  });

  describe('keywords', () => {
    const kw = (definition: unknown, fields: Record<string, FieldValue>, original?: string) =>
      compileSearchIdentifier(definition, 'detection.keywords').test(ruleEvent(fields, original));
    it('a list of keywords matches when any appears anywhere in the event', () => {
      assert.equal(kw(['event::clear', 'event::drop'], { Payload: 'mimikatz # EVENT::Drop' }), true);
      assert.equal(kw(['event::clear', 'event::drop'], { Payload: 'nothing' }), false);
      assert.equal(kw('sekurlsa', {}, 'raw line with SEKURLSA::logonpasswords'), true, 'the original text is searched too');
    });
    it("'|all' needs every keyword", () => {
      const def = { '|all': ['OabVirtualDirectory', ' -ExternalUrl '] };
      assert.equal(kw(def, { Payload: 'Set-OabVirtualDirectory -ExternalUrl http://x' }), true);
      assert.equal(kw(def, { Payload: 'Set-OabVirtualDirectory' }), false);
    });
    it('keywords may hold wildcards, numbers and modifiers', () => {
      assert.equal(kw(['cat /dev/null >*sh_history'], { msg: 'cat /dev/null > ~/.bash_history' }), true);
      assert.equal(kw([4242], { msg: 'port 4242 open' }), true);
      assert.equal(kw({ '|re': 'net\\s+user' }, {}, 'net  user'), true);
      // Keyword texts are lower-cased by the RuleEvent: cased and regex keywords can only be
      // matched case-insensitively there.
      assert.equal(kw({ '|cased': 'Evil' }, {}, 'an evil line'), true);
      assert.equal(kw({ '|re': 'Net\\s+User' }, {}, 'net  user'), true);
    });
  });

  describe('errors', () => {
    it('an unknown modifier is named', () => {
      ruleError(() => compileDetectionItem('Image|foo', 'x', 'detection.selection.Image|foo'), /^detection\.selection\.Image\|foo: modifier 'foo' is not a Sigma modifier$/);
      ruleError(() => compileDetectionItem('Image|Contains', 'x', 'p'), /modifiers are lower-case: 'contains'/);
    });
    it('a modifier that needs a field says so', () => {
      ruleError(() => compileDetectionItem('|cidr', '10.0.0.0/8', 'p'), /'cidr' needs a field name before it/);
    });
    it('null inside modifiers is rejected', () => {
      ruleError(() => compileDetectionItem('F|contains', null, 'p'), /null \(field absent\) can't be combined with modifiers/);
    });
  });
});

describe('witnesses of detection items', () => {
  const witnesses = (key: string, value: unknown) => compileDetectionItem(key, value, 'p').witnesses;
  it('endswith gives the lower-cased literal on its field', () => {
    assert.deepEqual(witnesses('Image|endswith', '\\CMD.exe'), [{ field: 'Image', literal: '\\cmd.exe' }]);
  });
  it('a list gives the union; with all, the most selective value', () => {
    assert.deepEqual(witnesses('Image|endswith', ['\\cmd.exe', '\\powershell.exe']), [
      { field: 'Image', literal: '\\cmd.exe' },
      { field: 'Image', literal: '\\powershell.exe' },
    ]);
    assert.deepEqual(witnesses('CommandLine|contains|all', ['-w', 'hidden window']), [{ field: 'CommandLine', literal: 'hidden window' }]);
  });
  it('a wildcard pattern gives its longest literal run; windash its longest run without a dash', () => {
    assert.deepEqual(witnesses('Image', '*\\Temp\\\\*evil?.exe'), [{ field: 'Image', literal: '\\temp\\' }]);
    assert.deepEqual(witnesses('CommandLine|windash|contains', ' -encodedcommand '), [{ field: 'CommandLine', literal: 'encodedcommand ' }]);
  });
  it('neq, null, exists, numeric, time, cidr, fieldref and a bare * give none', () => {
    for (const [key, value] of [['U|neq', 'x'], ['U', null], ['U|exists', true], ['U|gt', 3], ['U|hour', 3], ['U|cidr', '10.0.0.0/8'], ['U|fieldref', 'V'], ['U', '*'], ['U', '']] as const) {
      assert.equal(witnesses(key, value), undefined, key);
    }
  });
  it('a regular expression gives the literals every match must contain', () => {
    assert.deepEqual(witnesses('C|re', 'net\\s+user\\s+/add'), [{ field: 'C', literal: 'user' }]);
    assert.deepEqual(requiredRegexLiterals('powershell\\.exe -enc', false), ['powershell.exe -enc']);
    assert.deepEqual(requiredRegexLiterals('foo|bar', false), ['foo', 'bar']);
    assert.deepEqual(requiredRegexLiterals('(foo|bar)bazq', false), ['bazq']);
    assert.deepEqual(requiredRegexLiterals('(?:abc)def', false), ['abcdef']);
    assert.deepEqual(requiredRegexLiterals('x?yz[abc]+', false), ['yz']);
    assert.deepEqual(requiredRegexLiterals('(?i)Invoke-Mimikatz', true), ['invoke-mimikatz']);
    assert.deepEqual(requiredRegexLiterals('(ab)+c', false), ['ab']);
    assert.equal(requiredRegexLiterals('\\d+', false), undefined);
    assert.equal(requiredRegexLiterals('ab|', false), undefined, 'an empty alternative guarantees nothing');
    assert.equal(requiredRegexLiterals('a(?=bc)', false)?.includes('bc'), false, 'lookarounds are not relied on');
  });
  it('every match of 20,000 random regexes on random texts contains one of the literals', () => {
    const next = random(7);
    const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const atom = (depth: number): string => {
      const r = next();
      if (r < 0.5) return pick(['a', 'b', 's', 'K', '\\.', '.']);
      if (r < 0.65) return pick(['[ab]', '[^a]', '\\w', '\\s', '\\b', '^', '$']);
      if (depth > 1) return 'a';
      return `(${pick(['', '?:', '?i:'])}${sequence(depth + 1)}${next() < 0.5 ? `|${sequence(depth + 1)}` : ''})`;
    };
    const sequence = (depth: number): string =>
      Array.from({ length: 1 + Math.floor(next() * 4) }, () => atom(depth) + (next() < 0.3 ? pick(['*', '+', '?', '{2}', '{1,3}', '+?']) : '')).join('');
    let checked = 0;
    for (let n = 0; n < 20000; n++) {
      const insensitive = next() < 0.3;
      const source = (next() < 0.1 ? '(?i)' : '') + sequence(0);
      let re;
      try {
        re = compileRegex(source, { i: insensitive }, 'p');
      } catch {
        continue;
      }
      const literals = requiredRegexLiterals(source, insensitive || source.startsWith('(?i)') || source.includes('?i:'));
      if (literals === undefined) continue;
      for (let k = 0; k < 10; k++) {
        const text = Array.from({ length: Math.floor(next() * 10) }, () => pick(['a', 'b', 's', 'S', '\u017f', 'k', 'K', '\u212a', '.', ' '])).join('');
        if (!re.test(text)) continue;
        checked++;
        const lowered = text.toLowerCase();
        assert.ok(literals.some((l) => lowered.includes(l)), `/${source}/${insensitive ? 'i' : ''} matched '${text}' without any of ${JSON.stringify(literals)}`);
      }
    }
    assert.ok(checked > 1000, `only ${checked} matches checked`);
  });
  it("case-insensitive regexes don't rely on 's' (it also matches U+017F, whose lower case differs)", () => {
    assert.deepEqual(requiredRegexLiterals('powershell', true), ['power']);
    assert.equal(compileDetectionItem('C|re|i', 'powershell', 'p').test(ruleEvent({ C: 'POWER\u017fHELL' })), true);
  });
});
