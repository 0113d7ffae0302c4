import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapJsonRecord } from '../json/json-mapping.js';

const limits = { maxJsonDepth: 16, maxFieldsPerEvent: 256 };

describe('Suricata EVE JSON', () => {
  it('gets ECS fields beside its own, with the alert as rule and message', () => {
    const { fields, time } = mapJsonRecord(
      {
        timestamp: '2018-03-24T14:37:19.037299-0600',
        flow_id: 928532049924531,
        event_type: 'alert',
        src_ip: '10.0.0.9',
        src_port: 26078,
        dest_ip: '10.47.8.150',
        dest_port: 22,
        proto: 'TCP',
        alert: { action: 'allowed', signature_id: 2001219, signature: 'ET SCAN Potential SSH Scan', category: 'Attempted Information Leak', severity: 2 },
      },
      limits,
    );
    assert.equal(time, Date.UTC(2018, 2, 24, 20, 37, 19, 37));
    assert.equal(fields['src_ip'], '10.0.0.9', 'native names stay for Sigma');
    assert.equal(fields['source.ip'], '10.0.0.9');
    assert.equal(fields['destination.port'], 22);
    assert.equal(fields['network.transport'], 'tcp');
    assert.equal(fields['rule.name'], 'ET SCAN Potential SSH Scan');
    assert.equal(fields['rule.id'], 2001219);
    assert.equal(fields['message'], 'ET SCAN Potential SSH Scan');
    assert.deepEqual(fields['event.category'], ['intrusion_detection', 'network']);
    assert.equal(fields['event.kind'], 'alert');
    assert.deepEqual(fields['event.type'], ['allowed']);
  });

  it('leaves other JSON alone', () => {
    const { fields } = mapJsonRecord({ event_type: 'custom', message: 'x' }, limits);
    assert.equal(fields['event.module'], undefined);
  });
});
