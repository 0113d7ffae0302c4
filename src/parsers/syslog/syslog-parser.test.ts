import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseSyslog, parseSyslogUnguarded } from './syslog-parser.js';
import { corpusPath } from '../../../test/support/corpus.js';
import { SeededRandom } from '../../../test/support/seeded-random.js';

const received = Date.UTC(2025, 5, 20, 12, 0, 0);
const CORPUS = corpusPath('loghub');

describe('parseSyslog', () => {
  it('returns a line no parser understands as raw, flagged unparsed, with the line as message', () => {
    const parsed = parseSyslog('GET /index.html HTTP/1.1 200', received);
    assert.deepEqual(parsed, { format: 'raw', fields: { message: 'GET /index.html HTTP/1.1 200' }, flags: ['unparsed'] });
  });

  it('treats a PRI out of range (> 191) or too long as no PRI', () => {
    assert.equal(parseSyslog('<192>Oct 11 22:14:15 host app: x', received).format, 'raw');
    assert.equal(parseSyslog('<0013>Oct 11 22:14:15 host app: x', received).format, 'raw');
    assert.equal(parseSyslog('<191>Oct 11 22:14:15 host app: x', received).fields['log.syslog.facility.name'], 'local7');
  });

  it('strips trailing CR and LF, which are framing, not content', () => {
    assert.equal(parseSyslog('<13>Oct 11 22:14:15 host app: body\r\n', received).fields.message, 'body');
    assert.equal(parseSyslog('not syslog\r\n\n', received).fields.message, 'not syslog');
    assert.equal(parseSyslog('<14>1 - - - - - - body\n', received).fields.message, 'body');
  });

  it('returns an empty line as raw with an empty message', () => {
    assert.deepEqual(parseSyslog('', received), { format: 'raw', fields: { message: '' }, flags: ['unparsed'] });
  });
});

function readCorpus(name: string): string[] | undefined {
  const path = `${CORPUS}/${name}`;
  if (!existsSync(path)) return undefined;
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0);
}

describe('real logs (loghub corpus)', () => {
  it('parses the checked-in excerpt, odd lines included, with the expected host and program', () => {
    const path = new URL('../../../test/fixtures/syslog/loghub-excerpt.log', import.meta.url);
    const lines = readFileSync(path, 'utf8').split('\n').filter((line) => line.length > 0);
    assert.equal(lines.length, 20);
    const programs = lines.map((line) => {
      const parsed = parseSyslog(line, received);
      assert.equal(parsed.format, 'rfc3164', line);
      assert.deepEqual(parsed.flags, [], line);
      assert.ok(parsed.fields['host.name'] === 'combo' || parsed.fields['host.name'] === 'LabSZ', line);
      return parsed.fields['process.name'];
    });
    assert.deepEqual(programs.slice(0, 13), [
      'sshd(pam_unix)', 'sshd(pam_unix)', 'sshd(pam_unix)', 'syslogd', '--', 'kernel', 'kernel',
      'ftpd', 'su(pam_unix)', 'su(pam_unix)', 'rc', 'logrotate', 'gdm-binary',
    ]);
    assert.deepEqual(new Set(programs.slice(13)), new Set(['sshd']));
  });

  for (const [file, host] of [['Linux_2k.log', 'combo'], ['OpenSSH_2k.log', 'LabSZ']] as const) {
    it(`parses every line of ${file} as RFC 3164 with a time, a host and a program name`, (t) => {
      const lines = readCorpus(file);
      if (!lines) {
        t.skip(`corpus absent: ${CORPUS}/${file}`);
        return;
      }
      assert.equal(lines.length, 2000);
      for (const [n, line] of lines.entries()) {
        const parsed = parseSyslog(line, received);
        const where = `${file} line ${n + 1}: ${line}`;
        assert.equal(parsed.format, 'rfc3164', where);
        assert.deepEqual(parsed.flags, [], where);
        assert.equal(typeof parsed.time, 'number', where);
        assert.equal(parsed.fields['host.name'], host, where);
        assert.ok(typeof parsed.fields['process.name'] === 'string' && parsed.fields['process.name'].length > 0, where);
        assert.equal(String(parsed.fields.message).endsWith('\r'), false, where);
      }
    });
  }

  it('reads sshd and its PID from every OpenSSH line', (t) => {
    const lines = readCorpus('OpenSSH_2k.log');
    if (!lines) {
      t.skip(`corpus absent: ${CORPUS}/OpenSSH_2k.log`);
      return;
    }
    for (const line of lines) {
      const fields = parseSyslog(line, received).fields;
      assert.equal(fields['process.name'], 'sshd', line);
      assert.equal(typeof fields['process.pid'], 'number', line);
    }
  });
});

/** A seeded PRNG as a function, so a failing case reproduces. */
function random(seed: number): () => number {
  const r = new SeededRandom(seed);
  return () => r.next();
}

const VALID = [
  "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8",
  '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] msg',
  String.raw`<14>1 2024-01-02T03:04:05.123456+05:30 h a 1 m [x@1 q="say \"hi\"" b="C:\\dir" c="a\]b"] m`,
  "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
  '<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% do-nuts',
  'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; rhost=218.188.2.4 ',
  '<86>2024-03-05T10:11:12.123456+01:00 web1 sudo[4242]: alice : TTY=pts/0',
  '<189>Mar  1 2019 18:46:11.123: router1 %SYS-5-CONFIG_I: Configured',
];
const ALPHABET = '<>0123456789 -:[]"\\=.TZz+@JanFebOct\uFEFF\r\n\u00e9';

function checkShape(line: string): void {
  const parsed = parseSyslogUnguarded(line, received);
  assert.ok(['rfc5424', 'rfc3164', 'device', 'raw'].includes(parsed.format), JSON.stringify(line));
  assert.equal(typeof parsed.fields.message, 'string', JSON.stringify(line));
  if (parsed.time !== undefined) assert.ok(Number.isFinite(parsed.time), JSON.stringify(line));
  if (parsed.format === 'raw') assert.deepEqual(parsed.flags, ['unparsed']);
  if (parsed.flags.includes('time-unparsed')) assert.equal(parsed.time, undefined);
}

describe('hostile and broken input', () => {
  it('never throws on any truncation of a valid line', () => {
    for (const line of VALID) for (let n = 0; n <= line.length; n++) checkShape(line.slice(0, n));
  });

  it('never throws on random mutations of valid lines', () => {
    const next = random(5424);
    for (let round = 0; round < 20_000; round++) {
      const chars = [...(VALID[Math.floor(next() * VALID.length)] as string)];
      const edits = 1 + Math.floor(next() * 4);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(next() * chars.length);
        const c = ALPHABET[Math.floor(next() * ALPHABET.length)] as string;
        const kind = next();
        if (kind < 0.4) chars[at] = c;
        else if (kind < 0.7) chars.splice(at, 1);
        else chars.splice(at, 0, c);
      }
      checkShape(chars.join(''));
    }
  });

  it('never throws on random strings over the syslog alphabet and on random bytes', () => {
    const next = random(3164);
    for (let round = 0; round < 10_000; round++) {
      const length = Math.floor(next() * 120);
      let s = '';
      for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(next() * ALPHABET.length)];
      checkShape(s);
      const bytes = Buffer.alloc(length);
      for (let i = 0; i < length; i++) bytes[i] = Math.floor(next() * 256);
      checkShape(bytes.toString('utf8'));
    }
  });

  it('reads a long line in linear time (no backtracking on unterminated structure)', () => {
    const bodies = [
      `<14>1 2024-01-02T03:04:05Z h a - - [x@1 ${'a="1" '.repeat(20_000)}`,
      `<14>1 2024-01-02T03:04:05Z h a - - [x@1 a="${'\\'.repeat(100_000)}`,
      `<13>Oct 11 22:14:15 host ${'['.repeat(100_000)}`,
      `<13>Oct 11 22:14:15 host a${'b'.repeat(100_000)}[${'1'.repeat(100_000)}`,
      `${'<'.repeat(100_000)}`,
    ];
    const started = performance.now();
    for (const line of bodies) checkShape(line);
    assert.ok(performance.now() - started < 500, `took ${performance.now() - started} ms`);
  });
});
