/** Elasticsearch `_bulk` and the connect-time calls of stock shippers, over real HTTP. */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { VigilError } from '../../core/errors.js';
import { startTestServer, type TestServer } from '../../api/test-server.test-support.js';

let t: TestServer;
let basic: string;
before(async () => {
  t = await startTestServer();
  basic = `Basic ${Buffer.from(`filebeat:${t.tokens.ingest}`).toString('base64')}`;
});
after(async () => {
  await t.close();
});
beforeEach(() => {
  t.sink.batches.length = 0;
  t.sink.calls = 0;
  t.sink.gate = async () => {};
});

async function call(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}) {
  const response = await fetch(`${t.url}${path}`, { method, headers: { authorization: basic, ...headers }, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

const ndjson = (...lines: unknown[]) => lines.map((line) => JSON.stringify(line)).join('\n') + '\n';

describe('POST /_bulk', () => {
  test('stores index and create documents and answers each item in Elasticsearch format', async () => {
    const body = ndjson(
      { create: { _index: 'filebeat-8.17.0' } },
      { '@timestamp': '2024-05-01T00:00:00Z', message: 'one', host: { name: 'web-1' } },
      { index: { _index: 'logs', _id: 'client-id' } },
      { message: 'two' },
    );
    const res = await call('POST', '/_bulk', body, { 'content-type': 'application/x-ndjson' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-elastic-product'), 'Elasticsearch');
    assert.equal(res.body?.['errors'], false);
    assert.equal(typeof res.body?.['took'], 'number');
    const items = res.body?.['items'] as Array<Record<string, Record<string, unknown>>>;
    const [events0, events1] = t.sink.events;
    assert.deepEqual(Object.keys(items[0] ?? {}), ['create']);
    const created = items[0]?.['create'];
    assert.equal(created?.['_index'], 'filebeat-8.17.0');
    assert.equal(created?.['_id'], events0?.id);
    assert.equal(created?.['status'], 201);
    assert.equal(created?.['result'], 'created');
    assert.equal(created?.['_version'], 1);
    assert.equal(created?.['_primary_term'], 1);
    assert.equal(typeof created?.['_seq_no'], 'number');
    assert.deepEqual(created?.['_shards'], { total: 1, successful: 1, failed: 0 });
    assert.equal(items[1]?.['index']?.['_id'], 'client-id', 'a client _id is echoed');
    assert.equal(events0?.time, Date.UTC(2024, 4, 1));
    assert.equal(events0?.fields['host.name'], 'web-1');
    assert.equal(events0?.fields['elastic.index'], 'filebeat-8.17.0');
    assert.equal(events0?.format, 'bulk');
    assert.equal(events0?.source.kind, 'elastic-bulk');
    assert.equal(events1?.fields['elastic.id'], 'client-id');
    assert.equal(events1?.original, '{"message":"two"}');
  });

  test('takes the index from the path and accepts PUT and gzip', async () => {
    const res = await call('PUT', '/winlogbeat/_bulk', gzipSync(ndjson({ index: {} }, { a: 1 })), { 'content-encoding': 'gzip' });
    assert.equal(res.status, 200);
    assert.equal(t.sink.events[0]?.fields['elastic.index'], 'winlogbeat');
  });

  test('update and delete get a 400 item error and are not stored; the others are', async () => {
    const body = ndjson({ delete: { _index: 'x', _id: '1' } }, { update: { _index: 'x', _id: '2' } }, { doc: { a: 1 } }, { index: { _index: 'x' } }, { kept: true });
    const res = await call('POST', '/_bulk', body);
    assert.equal(res.status, 200);
    assert.equal(res.body?.['errors'], true);
    const items = res.body?.['items'] as Array<Record<string, Record<string, unknown>>>;
    assert.deepEqual(items.map((item) => Object.keys(item)[0]), ['delete', 'update', 'index']);
    assert.equal(items[0]?.['delete']?.['status'], 400);
    assert.equal((items[1]?.['update']?.['error'] as Record<string, string>)['type'], 'illegal_argument_exception');
    assert.equal(items[2]?.['index']?.['status'], 201);
    assert.deepEqual(t.sink.events.map((e) => e.fields['kept']), [true]);
  });

  test('a malformed line refuses the whole request with 400 naming the line, and stores nothing', async () => {
    const body = ndjson({ index: {} }, { a: 1 }) + '{"index":{}}\n{"a":\n';
    const res = await call('POST', '/_bulk', body);
    assert.equal(res.status, 400);
    const error = res.body?.['error'] as Record<string, unknown>;
    assert.equal(error['type'], 'illegal_argument_exception');
    assert.equal(error['where'], 'body line 4');
    assert.equal(res.body?.['status'], 400);
    assert.equal(t.sink.calls, 0);
  });

  test('an unknown action and a missing source line are malformed', async () => {
    assert.equal((await call('POST', '/_bulk', ndjson({ upsert: {} }, { a: 1 }))).status, 400);
    assert.equal((await call('POST', '/_bulk', ndjson({ index: {} }))).status, 400);
    assert.equal(t.sink.calls, 0);
  });

  test('an overloaded sink is a 503 in Elasticsearch error format', async () => {
    t.sink.gate = async () => {
      throw new VigilError('overloaded', 'full');
    };
    const res = await call('POST', '/_bulk', ndjson({ index: {} }, { a: 1 }));
    assert.equal(res.status, 503);
    assert.equal((res.body?.['error'] as Record<string, string>)['type'], 'es_rejected_execution_exception');
  });

  test('a 401 carries a Basic challenge for clients that wait for one', async () => {
    const response = await fetch(`${t.url}/_bulk`, { method: 'POST', body: ndjson({ index: {} }, { a: 1 }) });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /Basic realm="vigil"/);
    assert.equal(((await response.json()) as { error: { type: string } }).error.type, 'security_exception');
  });
});

describe('what stock shippers call on connect', () => {
  test('GET / reports Elasticsearch 8.17.0 with the product header; HEAD / answers 200', async () => {
    const res = await call('GET', '/');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-elastic-product'), 'Elasticsearch');
    assert.equal(res.body?.['tagline'], 'You Know, for Search');
    assert.equal(res.body?.['cluster_name'], 'vigil');
    const version = res.body?.['version'] as Record<string, string>;
    assert.equal(version['number'], '8.17.0');
    assert.equal(version['build_flavor'], 'default');
    assert.ok(version['lucene_version'] && version['minimum_wire_compatibility_version'] && version['minimum_index_compatibility_version']);
    assert.equal((await call('HEAD', '/')).status, 200);
  });

  test('the license is basic and active; xpack reports ILM available', async () => {
    const license = (await call('GET', '/_license?human=false')).body?.['license'] as Record<string, string>;
    assert.deepEqual([license['type'], license['status']], ['basic', 'active']);
    const xpack = (await call('GET', '/_xpack')).body?.['features'] as Record<string, Record<string, boolean>>;
    assert.equal(xpack['ilm']?.['available'], true);
  });

  test('template, ILM, pipeline and alias probes succeed so set-up steps pass', async () => {
    for (const [method, path] of [
      ['HEAD', '/_index_template/filebeat-8.17.0'],
      ['GET', '/_index_template/filebeat-8.17.0'],
      ['PUT', '/_index_template/filebeat-8.17.0'],
      ['GET', '/_template/logstash'],
      ['PUT', '/_component_template/x'],
      ['GET', '/_ilm/policy/filebeat'],
      ['PUT', '/_ilm/policy/filebeat'],
      ['GET', '/_ingest/pipeline/filebeat-8.17.0-system-auth-pipeline'],
      ['PUT', '/_ingest/pipeline/filebeat-8.17.0-system-auth-pipeline'],
      ['HEAD', '/logstash'],
      ['GET', '/_cluster/health'],
      ['GET', '/_nodes/_local/http'],
    ] as const) {
      const res = await call(method, path, method === 'PUT' ? '{"index_patterns":["x*"]}' : undefined, { 'content-type': 'application/json' });
      assert.equal(res.status, 200, `${method} ${path}`);
      assert.equal(res.headers.get('x-elastic-product'), 'Elasticsearch', `${method} ${path}`);
    }
    assert.equal((await call('PUT', '/_ilm/policy/x', '{}')).body?.['acknowledged'], true);
  });

  test('accepts Elastic api_key credentials in both forms', async () => {
    const encoded = Buffer.from(`key-id:${t.tokens.ingest}`).toString('base64');
    assert.equal((await call('GET', '/', undefined, { authorization: `ApiKey ${encoded}` })).status, 200);
    assert.equal((await call('GET', '/', undefined, { authorization: `ApiKey ${t.tokens.ingest}` })).status, 200);
  });
});
