import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSyslog } from '../syslog/syslog-parser.js';
import { parseCefOrLeef } from './cef.js';

describe('CEF and LEEF', () => {
  it('reads a CEF header and extension, with spaces in values and escapes undone', () => {
    const f = parseCefOrLeef('CEF:0|Security|threatmanager|1.0|100|worm \\| successfully stopped|10|src=10.0.0.1 dst=2.1.2.2 spt=1232 dpt=80 proto=TCP act=blocked request=http://x/a b=c msg=a\\=b and more')!;
    assert.equal(f['observer.vendor'], 'Security');
    assert.equal(f['cef.name'], 'worm | successfully stopped');
    assert.equal(f['event.code'], '100');
    assert.equal(f['event.severity'], 10);
    assert.equal(f['source.ip'], '10.0.0.1');
    assert.equal(f['destination.port'], 80);
    assert.equal(f['network.transport'], 'tcp');
    assert.equal(f['event.action'], 'blocked');
    assert.equal(f['url.original'], 'http://x/a');
    assert.equal(f['cef.extensions.b'], 'c');
    assert.equal(f['cef.extensions.msg'], 'a=b and more');
  });

  it('reads LEEF 1.0 (tab-separated) and LEEF 2.0 with its own delimiter', () => {
    const one = parseCefOrLeef('LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=192.0.2.0\tdst=172.50.123.1\tusrName=bob')!;
    assert.equal(one['observer.product'], 'MSExchange');
    assert.equal(one['user.name'], 'bob');
    const two = parseCefOrLeef('LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^dstPort=22')!;
    assert.equal(two['destination.port'], 22);
    assert.equal(two['source.ip'], '10.0.1.8');
  });

  it('is found in syslog messages, where senders put CEF: in the tag position', () => {
    const f = parseSyslog('<134>Feb 25 14:09:07 webserver CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 dst=2.1.2.2', Date.now()).fields;
    assert.equal(f['host.name'], 'webserver');
    assert.equal(f['source.ip'], '10.0.0.1');
    assert.equal(f['cef.name'], 'worm successfully stopped');
    assert.equal(f['process.name'], undefined, 'CEF is no program name');
  });

  it('refuses broken headers and stays linear on hostile input', () => {
    assert.equal(parseCefOrLeef('CEF:0|only|three'), undefined);
    assert.equal(parseCefOrLeef('no cef here'), undefined);
    const started = performance.now();
    parseCefOrLeef('CEF:0|a|b|c|d|e|f|' + 'k= '.repeat(30_000) + '\\'.repeat(30_000));
    assert.ok(performance.now() - started < 200);
  });
});
