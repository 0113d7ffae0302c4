import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonRecordMapping } from './index.js';

const limits = { maxJsonDepth: 8, maxFieldsPerEvent: 1024 };

test('json: a bare string is a message; an object is flattened with its event time', () => {
  const message = jsonRecordMapping.json('disk full', limits);
  assert.deepEqual({ ...message.fields }, { message: 'disk full' });
  assert.equal(message.time, undefined);
  const record = jsonRecordMapping.json({ '@timestamp': 1700000000000, user: { name: 'root' } }, limits);
  assert.equal(record.time, 1700000000000);
  assert.equal(record.fields['user.name'], 'root');
  assert.deepEqual(record.flags, []);
});

test('json: an unreadable timestamp is flagged time-unparsed; too many keys flag truncated', () => {
  assert.deepEqual(jsonRecordMapping.json({ '@timestamp': 'soon' }, limits).flags, ['time-unparsed']);
  const wide: Record<string, number> = {};
  for (let i = 0; i < 10; i++) wide[`k${i}`] = i;
  assert.deepEqual(jsonRecordMapping.json(wide, { maxJsonDepth: 8, maxFieldsPerEvent: 3 }).flags, ['truncated']);
});

test('hec: string event is the message, metadata goes to splunk.* and the ECS names', () => {
  const mapped = jsonRecordMapping.hec(
    { event: 'login ok', time: 1700000000.5, host: 'web-1', source: '/var/log/auth.log', sourcetype: 'linux_secure', index: 'main' },
    limits,
  );
  assert.deepEqual(
    { ...mapped.fields },
    {
      message: 'login ok',
      'splunk.host': 'web-1',
      'splunk.source': '/var/log/auth.log',
      'splunk.sourcetype': 'linux_secure',
      'splunk.index': 'main',
      'host.name': 'web-1',
      'log.file.path': '/var/log/auth.log',
      'event.dataset': 'linux_secure',
    },
  );
  assert.equal(mapped.time, 1700000000500);
});

test('hec: object event and indexed fields are flattened into the top level; the record keeps its own host.name', () => {
  const mapped = jsonRecordMapping.hec(
    { event: { host: { name: 'inner' }, action: 'x' }, host: 'outer', source: 'http:app', fields: { env: 'prod', action: 'y' } },
    limits,
  );
  assert.equal(mapped.fields['host.name'], 'inner');
  assert.equal(mapped.fields['splunk.host'], 'outer');
  assert.equal(mapped.fields['env'], 'prod');
  assert.equal(mapped.fields['action'], 'y');
  assert.equal(mapped.fields['log.file.path'], undefined, 'a label source is not a file path');
});

test('hec: a time that cannot be read is flagged and the receive time is used', () => {
  const mapped = jsonRecordMapping.hec({ event: 'x', time: 'tomorrow' }, limits);
  assert.equal(mapped.time, undefined);
  assert.deepEqual(mapped.flags, ['time-unparsed']);
});

test('bulk: the document is flattened and the index and id are kept as elastic.*', () => {
  const mapped = jsonRecordMapping.bulk({ '@timestamp': '2024-01-01T00:00:00Z', event: { action: 'logon' } }, { index: 'winlogbeat-8.17.0', id: 'abc' }, limits);
  assert.equal(mapped.fields['event.action'], 'logon');
  assert.equal(mapped.fields['elastic.index'], 'winlogbeat-8.17.0');
  assert.equal(mapped.fields['elastic.id'], 'abc');
  assert.equal(mapped.time, Date.UTC(2024, 0, 1));
});
