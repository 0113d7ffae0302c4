import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSyslog } from './syslog-parser.js';
import { timeZone } from './time-zone.js';

const received = Date.UTC(2025, 5, 20, 12, 0, 0);

describe('RFC 5424 messages', () => {
  it('reads RFC 5424 §6.5 example 1: no structured data, a BOM before MSG', () => {
    const line = "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \uFEFF'su root' failed for lonvick on /dev/pts/8";
    const parsed = parseSyslog(line, received);
    assert.equal(parsed.format, 'rfc5424');
    assert.equal(parsed.time, Date.UTC(2003, 9, 11, 22, 14, 15, 3));
    assert.deepEqual(parsed.flags, []);
    assert.deepEqual(parsed.fields, {
      message: "'su root' failed for lonvick on /dev/pts/8",
      'log.syslog.priority': 34,
      'log.syslog.facility.code': 4,
      'log.syslog.facility.name': 'auth',
      'log.syslog.severity.code': 2,
      'log.syslog.severity.name': 'critical',
      'log.syslog.version': 1,
      'host.hostname': 'mymachine.example.com',
      'host.name': 'mymachine.example.com',
      'process.name': 'su',
      'log.syslog.appname': 'su',
      'log.syslog.msgid': 'ID47',
    });
  });

  it('reads RFC 5424 §6.5 example 2: microseconds, a negative offset and a numeric PROCID', () => {
    const parsed = parseSyslog("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.", received);
    assert.equal(parsed.format, 'rfc5424');
    assert.equal(parsed.time, Date.UTC(2003, 7, 24, 12, 14, 15, 0));
    assert.equal(parsed.fields['log.syslog.facility.name'], 'local4');
    assert.equal(parsed.fields['log.syslog.severity.name'], 'notice');
    assert.equal(parsed.fields['host.name'], '192.0.2.1');
    assert.equal(parsed.fields['process.pid'], 8710);
    assert.equal(parsed.fields['log.syslog.procid'], '8710');
    assert.equal(parsed.fields['log.syslog.msgid'], undefined);
    assert.equal(parsed.fields.message, "%% It's time to make the do-nuts.");
  });

  it('reads RFC 5424 §6.5 example 3: one SD element with three params', () => {
    const line =
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \uFEFFAn application event log entry...';
    const parsed = parseSyslog(line, received);
    assert.equal(parsed.format, 'rfc5424');
    assert.equal(parsed.fields['log.syslog.structured_data.exampleSDID@32473.iut'], '3');
    assert.equal(parsed.fields['log.syslog.structured_data.exampleSDID@32473.eventSource'], 'Application');
    assert.equal(parsed.fields['log.syslog.structured_data.exampleSDID@32473.eventID'], '1011');
    assert.equal(parsed.fields.message, 'An application event log entry...');
    assert.equal(parsed.fields['log.syslog.procid'], undefined);
    assert.equal(parsed.fields['process.pid'], undefined);
  });

  it('reads RFC 5424 §6.5 example 4: two SD elements and no MSG', () => {
    const line =
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]';
    const parsed = parseSyslog(line, received);
    assert.equal(parsed.fields['log.syslog.structured_data.exampleSDID@32473.eventID'], '1011');
    assert.equal(parsed.fields['log.syslog.structured_data.examplePriority@32473.class'], 'high');
    assert.equal(parsed.fields.message, '');
  });

  it('leaves out every NILVALUE field and takes no time from a NILVALUE timestamp', () => {
    const parsed = parseSyslog('<14>1 - - - - - - hello', received);
    assert.equal(parsed.format, 'rfc5424');
    assert.equal(parsed.time, undefined);
    assert.deepEqual(parsed.flags, []);
    for (const key of ['host.name', 'host.hostname', 'process.name', 'log.syslog.appname', 'log.syslog.procid', 'log.syslog.msgid']) {
      assert.equal(key in parsed.fields, false, key);
    }
    assert.equal(parsed.fields.message, 'hello');
  });

  it('unescapes \\" \\\\ and \\] in param values and keeps any other backslash (§6.3.3)', () => {
    const line = String.raw`<14>1 2024-01-02T03:04:05Z h a - - [x@1 q="say \"hi\"" b="C:\\dir" c="a\]b" d="keep\n" e="un]escaped"] m`;
    const fields = parseSyslog(line, received).fields;
    assert.equal(fields['log.syslog.structured_data.x@1.q'], 'say "hi"');
    assert.equal(fields['log.syslog.structured_data.x@1.b'], 'C:\\dir');
    assert.equal(fields['log.syslog.structured_data.x@1.c'], 'a]b');
    assert.equal(fields['log.syslog.structured_data.x@1.d'], 'keep\\n');
    assert.equal(fields['log.syslog.structured_data.x@1.e'], 'un]escaped');
    assert.equal(fields.message, 'm');
  });

  it('keeps every value of a repeated param as an array', () => {
    const fields = parseSyslog('<14>1 2024-01-02T03:04:05Z h a - - [ip@1 addr="10.0.0.1" addr="10.0.0.2" addr="10.0.0.3"] m', received).fields;
    assert.deepEqual(fields['log.syslog.structured_data.ip@1.addr'], ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
  });

  it('skips params and elements named __proto__, constructor or prototype', () => {
    const line = '<14>1 2024-01-02T03:04:05Z h a - - [__proto__ polluted="yes"][x@1 __proto__="1" constructor="2" ok="3"][a.prototype.b c="4"] m';
    const parsed = parseSyslog(line, received);
    assert.equal(parsed.format, 'rfc5424');
    const sdKeys = Object.keys(parsed.fields).filter((k) => k.startsWith('log.syslog.structured_data.'));
    assert.deepEqual(sdKeys, ['log.syslog.structured_data.x@1.ok']);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('keeps malformed structured data as message text instead of refusing the header', () => {
    const parsed = parseSyslog('<14>1 2024-01-02T03:04:05Z h app - - [x@1 a="unterminated] rest', received);
    assert.equal(parsed.format, 'rfc5424');
    assert.equal(parsed.fields['process.name'], 'app');
    assert.equal(parsed.fields.message, '[x@1 a="unterminated] rest');
    assert.equal(Object.keys(parsed.fields).some((k) => k.startsWith('log.syslog.structured_data.')), false);
  });

  it('reads offsets, lower-case t and z, and a missing offset in the configured zone', () => {
    assert.equal(parseSyslog('<14>1 2024-01-02T03:04:05+05:30 h a - - - m', received).time, Date.UTC(2024, 0, 1, 21, 34, 5));
    assert.equal(parseSyslog('<14>1 2024-01-02t03:04:05.5z h a - - - m', received).time, Date.UTC(2024, 0, 2, 3, 4, 5, 500));
    assert.equal(parseSyslog('<14>1 2024-01-02T03:04:05 h a - - - m', received).time, Date.UTC(2024, 0, 2, 3, 4, 5));
    const zone = timeZone('-02:00');
    assert.equal(parseSyslog('<14>1 2024-01-02T03:04:05 h a - - - m', received, { zone }).time, Date.UTC(2024, 0, 2, 5, 4, 5));
  });

  it('flags an impossible timestamp and still reads the rest of the header', () => {
    const parsed = parseSyslog('<14>1 2024-02-30T03:04:05Z host app 77 ID1 - body', received);
    assert.equal(parsed.format, 'rfc5424');
    assert.equal(parsed.time, undefined);
    assert.deepEqual(parsed.flags, ['time-unparsed']);
    assert.equal(parsed.fields['host.name'], 'host');
    assert.equal(parsed.fields.message, 'body');
  });

  it('accepts a header that stops after MSGID, as some senders leave out the structured data', () => {
    const parsed = parseSyslog('<14>1 2024-01-02T03:04:05Z host app 77 ID1', received);
    assert.equal(parsed.format, 'rfc5424');
    assert.equal(parsed.fields['log.syslog.msgid'], 'ID1');
    assert.equal(parsed.fields.message, '');
  });

  it('hands a header cut short to the RFC 3164 reader, which keeps the whole text', () => {
    const parsed = parseSyslog('<14>1 2024-01-02T03:04:05Z host', received);
    assert.equal(parsed.format, 'rfc3164');
    assert.deepEqual(parsed.flags, ['time-unparsed']);
    assert.equal(parsed.fields.message, '1 2024-01-02T03:04:05Z host');
  });
});
