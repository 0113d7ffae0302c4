/**
 * `enrich`: GeoIP + ASN enrichment on one core, on loghub's OpenSSH_2k.log parsed into events
 * (a brute-force log: a few dozen distinct public source addresses over 2,000 events). Figures:
 * the one-off cost of reading the bundled data (per address family, on first use), events/s with
 * a cold cache (a fresh cache for every pass over the file, so each distinct address is looked up
 * once per pass), with a warm cache (every address already cached), and raw uncached lookups/s
 * over the distinct addresses (every lookup goes to the .mmdb and the ASN ranges).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult, Figure } from './bench-result.js';
import { MiB } from './bench-result.js';
import { createEvent, type Event } from '../src/core/event.js';
import { isPublicAddress, parseIp } from '../src/core/ip-networks.js';
import { parseSyslog } from '../src/parsers/syslog/syslog-parser.js';
import { AsnDatabase } from '../src/enrich/geoip/asn-database.js';
import { GeoDatabase } from '../src/enrich/geoip/geo-database.js';
import { GeoIpEnricher } from '../src/enrich/geoip/geoip-enricher.js';
import { rate } from './steady-rate.js';

const CORPUS = process.env.VIGIL_CORPUS ?? fileURLToPath(new URL('../../shared/corpus', import.meta.url));


function timeMs(work: () => void): number {
  const started = performance.now();
  work();
  return Math.round((performance.now() - started) * 10) / 10;
}

export async function benchEnrich(log: (line: string) => void): Promise<BenchResult> {
  const file = join(CORPUS, 'loghub', 'OpenSSH_2k.log');
  if (!existsSync(file)) {
    return { name: 'enrich', title: 'GeoIP + ASN enrichment, one core', durationSec: 0, figures: [], details: {}, skipped: [`corpus absent: ${file}`] };
  }
  const received = Date.now();
  const events: Event[] = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => {
    const p = parseSyslog(line, received);
    return createEvent({ tenant: 'bench', received, time: p.time, source: { input: 'bench', kind: 'file' }, format: p.format, original: line, fields: p.fields, flags: p.flags });
  });
  const distinct = [...new Set(events.map((e) => e.fields['source.ip']).filter((v): v is string => typeof v === 'string' && isPublicAddress(parseIp(v) ?? { v: 4, n: 0 })))];
  log(`enrich: ${events.length} events, ${distinct.length} distinct public source addresses`);

  const rssBefore = process.memoryUsage().rss;
  const geo = GeoDatabase.bundled();
  const asn = AsnDatabase.bundled();
  const probe = new GeoIpEnricher(geo, asn, 1);
  log('enrich: reading the bundled data (IPv4 on the first IPv4 address, IPv6 on the first IPv6)...');
  const loadV4 = timeMs(() => probe.additionsFor('8.8.8.8'));
  const loadV6 = timeMs(() => probe.additionsFor('2001:4860:4860::8888'));
  const rssData = process.memoryUsage().rss - rssBefore;

  const figures: Figure[] = [];
  figures.push({ label: 'load IPv4 data (city .mmdb + ASN CSV)', value: loadV4, unit: 'ms' });
  figures.push({ label: 'load IPv6 data (city .mmdb + ASN CSV)', value: loadV6, unit: 'ms' });
  figures.push({ label: 'resident memory for the data', value: Math.round(rssData / MiB), unit: 'MiB' });

  log('enrich: cold cache (a fresh cache per pass over the file)...');
  const cold = rate(events.length, () => void new GeoIpEnricher(geo, asn).enrich(events));
  figures.push({ label: 'enrich, cold cache per 2k events', value: Math.round(cold), unit: 'events/s' });

  log('enrich: warm cache...');
  const warm = new GeoIpEnricher(geo, asn);
  const warmRate = rate(events.length, () => void warm.enrich(events));
  figures.push({ label: 'enrich, warm cache', value: Math.round(warmRate), unit: 'events/s' });

  log('enrich: uncached lookups over the distinct addresses...');
  const uncached = new GeoIpEnricher(geo, asn, 1);
  const lookups = rate(distinct.length, () => distinct.forEach((ip) => uncached.additionsFor(ip)));
  figures.push({ label: 'lookup, uncached (city + ASN)', value: Math.round(lookups), unit: 'lookups/s' });

  const enriched = warm.enrich(events).filter((e) => e.fields['source.geo.country_iso_code'] !== undefined).length;
  return {
    name: 'enrich',
    title: 'GeoIP + ASN enrichment, one core, loghub OpenSSH_2k.log',
    durationSec: 2,
    figures,
    details: { file, events: events.length, distinctPublicSources: distinct.length, eventsEnriched: enriched, data: warm.description, rssDataBytes: rssData },
  };
}
