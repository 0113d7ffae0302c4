import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CorrelationMatch } from '../correlate/correlation-engine.js';
import { BehaviourEngine, haversineKm } from './behaviour-engine.js';
import { readBehaviourRule, type BehaviourRule } from './behaviour-rule.js';

const H = 3_600_000;
const D = 24 * H;
const T0 = Date.parse('2026-11-02T00:00:00Z');

function rule(behaviour: Record<string, unknown>, title = 'test behaviour'): BehaviourRule {
  return readBehaviourRule({ title, id: `b-${title}`, level: 'medium', author: 'Vigil', behaviour: { rules: ['login'], ...behaviour } });
}

let seq = 0;
function match(time: number, fields: Record<string, string | number>, ruleName = 'login'): CorrelationMatch {
  return { rule: { id: `id-${ruleName}`, name: ruleName }, time, eventId: `e${++seq}`, field: (n) => fields[n] };
}

describe('first_seen', () => {
  const spec = { type: 'first_seen', 'group-by': ['user.name'], field: 'source.geo.country_iso_code', learning: '7d', retention: '90d' };

  it('alerts for a country the user has not logged in from, once the user has been known for the learning period', () => {
    const engine = new BehaviourEngine([rule(spec)]);
    for (let day = 0; day < 8; day++) assert.deepEqual(engine.observe(match(T0 + day * D, { 'user.name': 'alice', 'source.geo.country_iso_code': 'DE' })), []);
    const hits = engine.observe(match(T0 + 8 * D, { 'user.name': 'alice', 'source.geo.country_iso_code': 'KP' }));
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.value, 'KP');
    assert.deepEqual(hits[0]!.group, { 'user.name': 'alice' });
    assert.deepEqual(hits[0]!.observed['known'], ['DE']);
    assert.equal(hits[0]!.rule.author, 'Vigil');
    // Now known: the next login from there is not news.
    assert.deepEqual(engine.observe(match(T0 + 8 * D + H, { 'user.name': 'alice', 'source.geo.country_iso_code': 'KP' })), []);
  });

  it('stays quiet while learning, and for a group seen for the first time', () => {
    const engine = new BehaviourEngine([rule(spec)]);
    engine.observe(match(T0, { 'user.name': 'bob', 'source.geo.country_iso_code': 'FR' }));
    assert.deepEqual(engine.observe(match(T0 + 2 * D, { 'user.name': 'bob', 'source.geo.country_iso_code': 'US' })), [], 'still learning');
    assert.deepEqual(engine.observe(match(T0 + 9 * D, { 'user.name': 'carol', 'source.geo.country_iso_code': 'US' })), [], 'carol is new');
  });

  it('forgets values not seen within the retention, so a country seen a year ago is new again', () => {
    const engine = new BehaviourEngine([rule({ ...spec, retention: '30d' })]);
    for (let day = 0; day < 60; day += 5) engine.observe(match(T0 + day * D, { 'user.name': 'alice', 'source.geo.country_iso_code': day === 0 ? 'BR' : 'DE' }));
    const hits = engine.observe(match(T0 + 61 * D, { 'user.name': 'alice', 'source.geo.country_iso_code': 'BR' }));
    assert.equal(hits.length, 1, 'BR was last seen 61 days ago, beyond 30d');
  });

  it('ignores events without the group or value field, and other rules', () => {
    const engine = new BehaviourEngine([rule(spec)]);
    engine.observe(match(T0, { 'user.name': 'alice', 'source.geo.country_iso_code': 'DE' }));
    assert.deepEqual(engine.observe(match(T0 + 9 * D, { 'user.name': 'alice' })), []);
    assert.deepEqual(engine.observe(match(T0 + 9 * D, { 'source.geo.country_iso_code': 'KP' })), []);
    assert.deepEqual(engine.observe(match(T0 + 9 * D, { 'user.name': 'alice', 'source.geo.country_iso_code': 'KP' }, 'other')), []);
  });

  it('keeps its baseline through a snapshot, and drops it when the rule changed', () => {
    const first = new BehaviourEngine([rule(spec)]);
    first.observe(match(T0, { 'user.name': 'alice', 'source.geo.country_iso_code': 'DE' }));
    const saved = JSON.parse(JSON.stringify(first.snapshot()));
    const same = new BehaviourEngine([rule(spec)]);
    assert.equal(same.restore(saved), 1);
    assert.equal(same.observe(match(T0 + 8 * D, { 'user.name': 'alice', 'source.geo.country_iso_code': 'KP' })).length, 1);
    const changed = new BehaviourEngine([rule({ ...spec, learning: '1d' })]);
    assert.equal(changed.restore(saved), 0);
  });

  it('bounds the groups it keeps', () => {
    const engine = new BehaviourEngine([rule(spec)], { maxGroupsPerRule: 10 });
    for (let i = 0; i < 100; i++) engine.observe(match(T0, { 'user.name': `u${i}`, 'source.geo.country_iso_code': 'DE' }));
    assert.equal(Object.values(engine.snapshot())[0]!.groups.length, 10);
  });
});

describe('rare', () => {
  it('alerts while a value has been seen fewer than N times for the group', () => {
    const engine = new BehaviourEngine([rule({ type: 'rare', 'group-by': ['host.name'], field: 'process.name', learning: '1d', condition: { lt: 2 } })]);
    for (let i = 0; i < 30; i++) engine.observe(match(T0 + i * H, { 'host.name': 'web1', 'process.name': 'nginx' }));
    const first = engine.observe(match(T0 + 31 * H, { 'host.name': 'web1', 'process.name': 'nc' }));
    assert.equal(first.length, 1);
    assert.equal(first[0]!.observed['seenBefore'], 0);
    const second = engine.observe(match(T0 + 32 * H, { 'host.name': 'web1', 'process.name': 'nc' }));
    assert.equal(second.length, 1, 'seen once before: still fewer than 2');
    assert.deepEqual(engine.observe(match(T0 + 33 * H, { 'host.name': 'web1', 'process.name': 'nc' })), [], 'seen twice: no longer rare');
  });
});

describe('unusual_hour', () => {
  const spec = { type: 'unusual_hour', 'group-by': ['user.name'], learning: '7d', 'min-events': 20 };

  it('alerts for a login at an hour the user never works, not at the usual hours', () => {
    const engine = new BehaviourEngine([rule(spec)]);
    for (let day = 0; day < 10; day++) for (const h of [9, 10, 14, 17]) engine.observe(match(T0 + day * D + h * H, { 'user.name': 'alice' }));
    assert.deepEqual(engine.observe(match(T0 + 10 * D + 11 * H, { 'user.name': 'alice' })), []);
    const hits = engine.observe(match(T0 + 10 * D + 3 * H, { 'user.name': 'alice' }));
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.value, 3);
    assert.deepEqual(hits[0]!.observed['usualHours'], [9, 10, 14, 17]);
  });

  it('counts hours in the configured offset from UTC', () => {
    const engine = new BehaviourEngine([rule({ ...spec, 'utc-offset': '+09:00' })]);
    for (let day = 0; day < 10; day++) for (const h of [0, 1, 2, 3]) engine.observe(match(T0 + day * D + h * H, { 'user.name': 'kenji' }));
    const hits = engine.observe(match(T0 + 10 * D + 15 * H, { 'user.name': 'kenji' }));
    assert.equal(hits[0]!.value, 0, '15:00 UTC is midnight in +09:00');
  });

  it('does not judge a user with too few events', () => {
    const engine = new BehaviourEngine([rule(spec)]);
    for (let day = 0; day < 10; day++) engine.observe(match(T0 + day * D + 9 * H, { 'user.name': 'rare' }));
    assert.deepEqual(engine.observe(match(T0 + 10 * D + 3 * H, { 'user.name': 'rare' })), []);
  });
});

describe('impossible_travel', () => {
  const spec = { type: 'impossible_travel', 'group-by': ['user.name'] };
  const berlin = { 'source.geo.location.lat': 52.52, 'source.geo.location.lon': 13.405, 'source.geo.country_iso_code': 'DE', 'source.ip': '198.51.100.1' };
  const sydney = { 'source.geo.location.lat': -33.8688, 'source.geo.location.lon': 151.2093, 'source.geo.country_iso_code': 'AU', 'source.ip': '203.0.113.7' };
  const potsdam = { 'source.geo.location.lat': 52.39, 'source.geo.location.lon': 13.06 };

  it('measures great-circle distances', () => {
    assert.ok(Math.abs(haversineKm(52.52, 13.405, -33.8688, 151.2093) - 16_090) < 50);
    assert.equal(haversineKm(10, 10, 10, 10), 0);
  });

  it('alerts for Berlin then Sydney an hour apart, naming both places and both events', () => {
    const engine = new BehaviourEngine([rule(spec)]);
    assert.deepEqual(engine.observe(match(T0, { 'user.name': 'alice', ...berlin })), []);
    const hits = engine.observe(match(T0 + H, { 'user.name': 'alice', ...sydney }));
    assert.equal(hits.length, 1);
    assert.ok((hits[0]!.value as number) > 15_000);
    assert.equal((hits[0]!.observed['from'] as Record<string, unknown>)['source.geo.country_iso_code'], 'DE');
    assert.equal((hits[0]!.observed['to'] as Record<string, unknown>)['source.ip'], '203.0.113.7');
    assert.equal(hits[0]!.eventIds.length, 2);
  });

  it('accepts a flight: Berlin then Sydney a day apart', () => {
    const engine = new BehaviourEngine([rule({ ...spec, retention: '7d' })]);
    engine.observe(match(T0, { 'user.name': 'alice', ...berlin }));
    assert.deepEqual(engine.observe(match(T0 + 24 * H, { 'user.name': 'alice', ...sydney })), []);
  });

  it('ignores short jumps that are geolocation noise, even simultaneous ones', () => {
    const engine = new BehaviourEngine([rule(spec)]);
    engine.observe(match(T0, { 'user.name': 'alice', ...berlin }));
    assert.deepEqual(engine.observe(match(T0, { 'user.name': 'alice', ...potsdam })), []);
  });

  it('skips events without coordinates or with impossible ones', () => {
    const engine = new BehaviourEngine([rule(spec)]);
    engine.observe(match(T0, { 'user.name': 'alice', ...berlin }));
    assert.deepEqual(engine.observe(match(T0 + 60_000, { 'user.name': 'alice', 'source.geo.location.lat': 999, 'source.geo.location.lon': 0 })), []);
    assert.deepEqual(engine.observe(match(T0 + 60_000, { 'user.name': 'alice' })), []);
  });
});

describe('periodic', () => {
  it('alerts once for a host calling home every 60 s, and not for irregular traffic', () => {
    const engine = new BehaviourEngine([rule({ type: 'periodic', 'group-by': ['host.name', 'destination.domain'], 'min-events': 20, retention: '1d' })]);
    let hits = 0;
    for (let i = 0; i < 200; i++) hits += engine.observe(match(T0 + i * 60_000 + (i % 3) * 200, { 'host.name': 'pc1', 'destination.domain': 'c2.example' })).length;
    assert.equal(hits, 1, 'one alert per group per retention');
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let t = T0;
    let noise = 0;
    for (let i = 0; i < 200; i++) {
      t += Math.floor(random() * random() * 3_600_000) + 5000;
      noise += engine.observe(match(t, { 'host.name': 'pc2', 'destination.domain': 'news.example' })).length;
    }
    assert.equal(noise, 0);
  });
});

describe('volume_spike', () => {
  it('alerts once when a principal reads far more in an hour than ever before', () => {
    const engine = new BehaviourEngine([rule({ type: 'volume_spike', 'group-by': ['user.name'], bucket: '1h', factor: 5, 'min-count': 50, learning: '2d', retention: '14d' })]);
    let hits = 0;
    for (let day = 0; day < 5; day++) for (let i = 0; i < 20; i++) hits += engine.observe(match(T0 + day * D + 10 * H + i * 60_000, { 'user.name': 'svc' })).length;
    assert.equal(hits, 0, 'twenty reads a day is the usual');
    const spike = [];
    for (let i = 0; i < 500; i++) spike.push(...engine.observe(match(T0 + 6 * D + 3 * H + i * 5000, { 'user.name': 'svc' })));
    assert.equal(spike.length, 1);
    assert.equal(spike[0]!.value, 100, 'five times the busiest hour (20)');
    assert.equal(spike[0]!.observed['busiestBefore'], 20);
  });
});

describe('readBehaviourRule', () => {
  it('reports every problem with what to write instead', () => {
    assert.throws(
      () => readBehaviourRule({ title: 'x', level: 'high', behaviour: { type: 'first_seen', rules: [], 'group-by': 'user.name', retention: '3M', bogus: 1 } }),
      (e: Error) => /behaviour\.bogus: is not a key/.test(e.message) && /behaviour\.rules: is empty/.test(e.message) && /months are not a fixed duration/.test(e.message),
    );
    assert.throws(() => readBehaviourRule({ title: 'x', level: 'high', behaviour: { type: 'threshold', rules: ['a'] } }), /write a Sigma correlation: event_count/);
    assert.throws(() => readBehaviourRule({ title: 'x', behaviour: { type: 'rare', rules: ['a'], field: 'f' } }), /level: required/);
    assert.throws(() => readBehaviourRule({ title: 'x', level: 'low', behaviour: { type: 'unusual_hour', rules: ['a'], 'utc-offset': 'CET' } }), /utc-offset: must be an offset/);
  });

  it('fills in defaults a security team would pick', () => {
    const r = readBehaviourRule({ title: 'x', level: 'low', behaviour: { type: 'impossible_travel', rules: ['a'], 'group-by': ['user.name'] } });
    assert.equal(r.behaviour.type, 'impossible_travel');
    if (r.behaviour.type !== 'impossible_travel') return;
    assert.equal(r.behaviour.maxSpeedKmh, 1000);
    assert.equal(r.behaviour.minDistanceKm, 500);
    assert.equal(r.behaviour.latitude, 'source.geo.location.lat');
  });
});

describe('outside_window', () => {
  const spec = (windows: unknown) => ({ type: 'outside_window', windows });

  it('alerts for a change outside the change window, in the window zone', () => {
    const engine = new BehaviourEngine([rule(spec(['mon-fri 08:00-18:00 Europe/Berlin']))]);
    // 2026-11-02 is a Monday; Berlin is UTC+1 in November.
    assert.deepEqual(engine.observe(match(Date.parse('2026-11-02T07:30:00Z'), {})), [], '08:30 in Berlin');
    assert.equal(engine.observe(match(Date.parse('2026-11-02T17:30:00Z'), {})).length, 1, '18:30 in Berlin');
    assert.equal(engine.observe(match(Date.parse('2026-11-07T10:00:00Z'), {})).length, 1, 'Saturday');
  });

  it('reads windows across midnight, offsets and several windows', () => {
    const engine = new BehaviourEngine([rule(spec(['daily 22:00-02:00 +00:00', 'sat 10:00-12:00 UTC']))]);
    assert.deepEqual(engine.observe(match(Date.parse('2026-11-03T01:00:00Z'), {})), []);
    assert.deepEqual(engine.observe(match(Date.parse('2026-11-07T11:00:00Z'), {})), []);
    assert.equal(engine.observe(match(Date.parse('2026-11-03T12:00:00Z'), {})).length, 1);
  });

  it('takes windows from a placeholder, and is off while none are configured', () => {
    const doc = (p: Record<string, string[]>) => readBehaviourRule({ title: 'w', level: 'medium', behaviour: { type: 'outside_window', rules: ['login'], windows: ['%change_windows%'] } }, undefined, p);
    assert.throws(() => doc({}), /placeholder %change_windows% has no values/);
    assert.deepEqual(new BehaviourEngine([doc({ change_windows: [] })]).observe(match(T0, {})), []);
    assert.equal(new BehaviourEngine([doc({ change_windows: ['mon 09:00-10:00 UTC'] })]).observe(match(T0, {})).length, 1);
    assert.throws(() => doc({ change_windows: ['weekdays 9-5'] }), /is not a window/);
    assert.throws(() => doc({ change_windows: ['mon 09:00-10:00 Mars/Olympus'] }), /is not a time zone/);
  });
});
