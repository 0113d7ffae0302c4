/**
 * Generated event streams for partitioned detection's tests with the disorder and gaps of real collection, built
 * to hit what the corpus rarely does (late events, old data replayed, quiet spells, missing
 * fields, two tenants sharing keys), for the rules in test/fixtures/sigma/partition-synthetic.
 */
import { SeededRandom } from './seeded-random.js';
import { createEvent, type Event } from '../../src/core/event.js';
import { parseLine } from '../../src/parsers/line/line-parser.js';

const IPS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '192.0.2.7', '198.51.100.9', '203.0.113.5', '203.0.113.6', '2001:db8::1'];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'svc_backup'];
const HOSTS = ['ws1', 'ws2', 'srv1', 'dc1'];
const PLACES: readonly [number, number][] = [[52.52, 13.4], [48.86, 2.35], [40.71, -74.0], [35.68, 139.69], [52.5, 13.3]];
const MONDAY = Date.parse('2024-01-01T00:00:00Z');

/** A stream with the disorder and gaps of real collection: steady, late by minutes, jumps ahead, old data replayed. */
export function generate(seed: number, count: number): Event[] {
  const r = new SeededRandom(seed);
  let clock = MONDAY + r.int(0, 12) * 3_600_000;
  const events: Event[] = [];
  for (let i = 0; i < count; i++) {
    const dice = r.next();
    if (dice < 0.01) clock += r.int(1, 180) * 60_000; // a quiet spell
    else if (dice < 0.013) clock -= r.int(1, 3) * 86_400_000; // an old file replayed
    else clock += r.int(0, 45_000);
    const late = r.next() < 0.12 ? r.int(1, 20) * 60_000 : 0;
    const [lat, lon] = r.pick(PLACES);
    const record: Record<string, unknown> = {
      '@timestamp': new Date(clock - late).toISOString(),
      Channel: 'Security',
      EventID: r.pick([9001, 9001, 9002, 9003]),
      IpAddress: r.pick(IPS),
      TargetUserName: r.pick(USERS),
      SubjectUserName: r.pick(USERS),
      Computer: r.pick(HOSTS),
      Bytes: r.next() < 0.05 ? '-' : r.int(0, 2500),
      Lat: lat,
      Lon: lon,
    };
    if (r.next() < 0.04) delete record[r.pick(['IpAddress', 'TargetUserName', 'Computer', 'Bytes', 'Lat'])];
    const text = JSON.stringify(record);
    const parsed = parseLine(text, 'json', clock);
    const tenant = r.next() < 0.3 ? 'globex' : 'acme';
    events.push(createEvent({ tenant, received: clock, time: parsed.time, source: { input: 'generated', kind: 'file' }, format: parsed.format, original: text, fields: parsed.fields, flags: parsed.flags }));
  }
  return events;
}
