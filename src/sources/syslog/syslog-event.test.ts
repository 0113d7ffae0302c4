import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metrics } from '../../core/metrics.js';
import { timeZone } from '../../parsers/syslog/syslog-parser.js';
import { countSyslogEvent, syslogLineToEvent } from './syslog-event.js';

const received = Date.UTC(2025, 5, 20, 12, 0, 0);
const base = { tenant: 'acme', input: 'file:/var/log/auth.log', received, maxMessageBytes: 2048 };

describe('syslogLineToEvent (file import)', () => {
  it('maps a /var/log line exactly as a listener would, with the file as source', () => {
    const event = syslogLineToEvent('Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\r\n', {
      ...base,
      address: '/var/log/auth.log',
    });
    assert.equal(event.tenant, 'acme');
    assert.equal(event.received, received);
    assert.equal(event.time, Date.UTC(2024, 11, 10, 6, 55, 46));
    assert.deepEqual(event.source, { input: 'file:/var/log/auth.log', kind: 'file', address: '/var/log/auth.log' });
    assert.equal(event.format, 'rfc3164');
    assert.equal(event.original, 'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186');
    assert.equal(event.fields['process.pid'], 24200);
    assert.deepEqual(event.flags, []);
    assert.match(event.id, /^[0-9a-f-]{36}$/);
  });

  it('cuts a line over maxMessageBytes on a character boundary and flags it truncated', () => {
    const line = `<13>Oct 11 22:14:15 host app: ${'é'.repeat(3000)}`;
    const event = syslogLineToEvent(line, base);
    assert.ok(Buffer.byteLength(event.original) <= 2048);
    assert.ok(Buffer.byteLength(event.original) >= 2047);
    assert.ok(line.startsWith(event.original));
    assert.deepEqual(event.flags, ['truncated']);
  });

  it('keeps the parser flags and adds truncated after them', () => {
    const event = syslogLineToEvent('x'.repeat(5000), base);
    assert.deepEqual(event.flags, ['unparsed', 'truncated']);
    assert.equal(event.format, 'raw');
    assert.equal(event.time, received);
  });

  it('uses the given kind and zone', () => {
    const event = syslogLineToEvent('Jan 10 12:00:00 h app: x', { ...base, kind: 'syslog-tcp', zone: timeZone('+01:00') });
    assert.equal(event.source.kind, 'syslog-tcp');
    assert.equal(event.time, Date.UTC(2025, 0, 10, 11, 0, 0));
  });

  it('counts received, unparsed and truncated the way the listeners do', async () => {
    const metrics = new Metrics();
    countSyslogEvent(metrics, 'in', syslogLineToEvent('x'.repeat(5000), base));
    countSyslogEvent(metrics, 'in', syslogLineToEvent('<13>Oct 11 22:14:15 host app: fine', base));
    const value = async (c: 'received' | 'parseFailed' | 'truncated') => (await metrics[c].get()).values.find((v) => v.labels.input === 'in')?.value;
    assert.equal(await value('received'), 2);
    assert.equal(await value('parseFailed'), 1);
    assert.equal(await value('truncated'), 1);
  });
});
