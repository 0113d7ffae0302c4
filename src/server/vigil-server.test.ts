import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { parseConfig } from '../core/config.js';
import { createEvent } from '../core/event.js';
import { Metrics } from '../core/metrics.js';
import { dataFolder, ensureDataFolder } from './data-folder.js';
import { openEmbeddedPipeline } from './vigil-server.js';

async function withPipeline(raw: Record<string, unknown>, run: (embedded: Awaited<ReturnType<typeof openEmbeddedPipeline>>) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-server-'));
  try {
    const config = parseConfig({ data: dir, detection: { builtin: false }, ...raw });
    const folder = dataFolder(config.data);
    ensureDataFolder(folder);
    const embedded = await openEmbeddedPipeline(config, folder, new Metrics(), pino({ level: 'silent' }));
    try {
      await run(embedded);
    } finally {
      await embedded.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const sshLogin = (ip: string) =>
  createEvent({
    tenant: 'default',
    received: Date.now(),
    source: { input: 'test', kind: 'syslog-tcp' },
    format: 'rfc3164',
    original: `sshd[1]: Failed password for root from ${ip} port 22 ssh2`,
    fields: { message: `Failed password for root from ${ip} port 22 ssh2`, 'source.ip': ip, 'host.name': 'bastion' },
  });

async function storedFields(embedded: Awaited<ReturnType<typeof openEmbeddedPipeline>>) {
  const result = await embedded.store.search({ tenant: 'default', query: { kind: 'field', field: 'host.name', value: 'bastion', wildcard: false, quoted: false }, limit: 10 });
  assert.equal(result.hits.length, 1);
  return result.hits[0]!.fields;
}

describe('embedded pipeline', () => {
  it('stores an ingested event with the GeoIP and AS fields of its source address', async () => {
    await withPipeline({}, async (embedded) => {
      await embedded.pipeline.submit([sshLogin('81.2.69.142')]);
      await embedded.pipeline.whenIdle();
      const fields = await storedFields(embedded);
      assert.equal(fields['source.geo.country_iso_code'], 'GB');
      assert.equal(typeof fields['source.geo.location.lat'], 'number');
      assert.equal(typeof fields['source.as.number'], 'number');
    });
  });

  it('stores events as they came when enrich.geoip.enabled is false', async () => {
    await withPipeline({ enrich: { geoip: { enabled: false } } }, async (embedded) => {
      await embedded.pipeline.submit([sshLogin('81.2.69.142')]);
      await embedded.pipeline.whenIdle();
      assert.equal((await storedFields(embedded))['source.geo.country_iso_code'], undefined);
    });
  });
});
