import assert from 'node:assert/strict';
import { connect as connectTcp } from 'node:net';
import { describe, it } from 'node:test';
import { VigilError } from '../../core/errors.js';
import { counter, eventually, openTcp, sendUdp, startSource, until } from '../../../test/support/syslog-listener-harness.js';

describe('SyslogSource flow control and connection handling', () => {
  it('keeps other connections flowing while one connection waits on a stalled sink, and pauses only that one', async () => {
    const { source, sink } = await startSource();
    try {
      sink.hold = (batch) => batch.some((e) => e.original.includes('stall'));
      const port = source.addresses().tcp?.port ?? 0;
      const stalled = await openTcp(port);
      const other = await openTcp(port);
      stalled.write('stall me\n');
      await until(() => sink.held.length === 1, 'the stalled batch');
      stalled.write('queued behind the stall\n');
      for (let i = 0; i < 5; i++) other.write(`other ${i}\n`);
      await sendUdp(source.addresses().udp?.port ?? 0, 'udp meanwhile');
      await until(() => sink.events.length === 6, 'the other events');
      assert.equal(sink.texts().some((t) => t.includes('queued')), false);
      sink.hold = () => false;
      sink.release();
      await until(() => sink.texts().includes('queued behind the stall'), 'the queued event');
      assert.equal(sink.events.length, 8);
      stalled.destroy();
      other.destroy();
    } finally {
      await source.stop();
    }
  });

  it('stops reading a connection while its batch is with the sink, so a flooding sender fills its own TCP window', async () => {
    const { source, sink, metrics } = await startSource({ udp: false });
    try {
      sink.hold = (batch) => batch.some((e) => e.original === 'stall');
      const flooder = await openTcp(source.addresses().tcp?.port ?? 0);
      flooder.write('stall\n');
      await until(() => sink.held.length === 1, 'the held batch');
      const line = `${'f'.repeat(99)}\n`;
      const flood = Buffer.from(line.repeat(100_000)); // 10 MB
      flooder.write(flood);
      await new Promise((r) => setTimeout(r, 200));
      const read = await counter(metrics, 'received', { input: 'syslog' });
      assert.ok(read < 20_000, `read ${read} lines while paused`);
      assert.ok(flooder.writableLength > 0, 'the sender should be held back');
      sink.hold = () => false;
      sink.release();
      await eventually(async () => (await counter(metrics, 'received', { input: 'syslog' })) === 100_001, 'the whole flood', 10_000);
      flooder.destroy();
    } finally {
      await source.stop();
    }
  });

  it('keeps a TCP batch the sink refuses as overloaded and delivers it once the sink accepts', async () => {
    const { source, sink, metrics } = await startSource({ udp: false });
    try {
      let refusals = 3;
      sink.refuse = () => (refusals-- > 0 ? new VigilError('overloaded', 'pipeline is behind') : undefined);
      const socket = await openTcp(source.addresses().tcp?.port ?? 0);
      socket.write('must not be lost\n');
      await until(() => sink.events.length === 1, 'the retried event');
      assert.equal(sink.submits, 4);
      assert.deepEqual(sink.texts(), ['must not be lost']);
      assert.equal(await counter(metrics, 'dropped', { input: 'syslog' }), 0);
      socket.destroy();
    } finally {
      await source.stop();
    }
  });

  it('counts and drops a UDP batch the sink refuses', async () => {
    const { source, sink, metrics } = await startSource({ tcp: false });
    try {
      sink.refuse = () => new VigilError('overloaded', 'pipeline is behind');
      await sendUdp(source.addresses().udp?.port ?? 0, 'lost to overload');
      await eventually(async () => (await counter(metrics, 'dropped', { input: 'syslog', reason: 'overloaded' })) === 1, 'the drop to be counted');
      assert.equal(sink.submits, 1);
      assert.equal(sink.events.length, 0);
    } finally {
      await source.stop();
    }
  });

  it('makes room for a new connection near maxConnections by closing the one silent longest, then the one quiet longest', async () => {
    // maxConnections 3: an arrival evicts once 2 are held, leaving one slot for the next arrival.
    const { source, sink, metrics } = await startSource({ udp: false, maxConnections: 3 });
    try {
      const port = source.addresses().tcp?.port ?? 0;
      const talker = await openTcp(port);
      talker.write('talker was here\n');
      await until(() => sink.events.length === 1, 'the talker line');
      const silent = await openTcp(port);
      const silentClosed = new Promise((resolve) => silent.once('close', resolve));
      const newcomer = await openTcp(port);
      await silentClosed;
      assert.equal(await counter(metrics, 'connectionsEvicted', { state: 'silent' }), 1);
      newcomer.write('newcomer is admitted\n');
      talker.write('talker still works\n');
      await until(() => sink.events.length === 3, 'both lines');
      // Now both held connections have spoken: the one quiet longest (the talker) makes room,
      // after submitting the line it had not finished.
      talker.write('unfinished line of the talker');
      await new Promise((r) => setTimeout(r, 20));
      newcomer.write('newcomer spoke last\n');
      await until(() => sink.events.length === 4, 'the newcomer line');
      const talkerClosed = new Promise((resolve) => talker.once('close', resolve));
      const third = await openTcp(port);
      await talkerClosed;
      assert.equal(await counter(metrics, 'connectionsEvicted', { state: 'quiet' }), 1);
      await until(() => sink.texts().includes('unfinished line of the talker'), 'the partial line of the evicted connection');
      third.write('third is admitted\n');
      await until(() => sink.texts().includes('third is admitted'), 'the third line');
      assert.equal(await counter(metrics, 'dropped', { reason: 'too-many-connections' }), 0);
      newcomer.destroy();
      third.destroy();
    } finally {
      await source.stop();
    }
  });

  it('closes connections past maxConnections at once and counts them when every held connection is busy', async () => {
    const { source, sink, metrics } = await startSource({ udp: false, maxConnections: 3 });
    try {
      const port = source.addresses().tcp?.port ?? 0;
      // A connection whose batch is with a stalled sink is paused with data in flight: never evicted.
      sink.hold = (batch) => batch.some((e) => e.original.startsWith('stall'));
      const first = await openTcp(port);
      const second = await openTcp(port);
      first.write('stall 1\n');
      second.write('stall 2\n');
      await until(() => sink.held.length === 2, 'both batches held');
      const third = await openTcp(port);
      const fourth = connectTcp(port, '127.0.0.1');
      fourth.on('error', () => {});
      await new Promise((resolve) => fourth.once('close', resolve));
      assert.equal(await counter(metrics, 'dropped', { reason: 'too-many-connections' }), 1);
      assert.equal(await counter(metrics, 'connectionsEvicted', {}), 0);
      sink.hold = () => false;
      sink.release();
      third.write('third still works\n');
      await until(() => sink.events.length === 3, 'events from the admitted connections');
      first.destroy();
      second.destroy();
      third.destroy();
    } finally {
      await source.stop();
    }
  });

  it('closes a connection that stays silent past the idle timeout, submitting its unfinished line', async () => {
    const { source, sink } = await startSource({ udp: false, idleTimeoutMs: 150 });
    try {
      const socket = await openTcp(source.addresses().tcp?.port ?? 0);
      socket.write('no newline yet');
      const started = Date.now();
      await new Promise((resolve) => socket.once('close', resolve));
      assert.ok(Date.now() - started >= 100, 'closed too early');
      await until(() => sink.events.length === 1, 'the flushed partial line');
      assert.deepEqual(sink.texts(), ['no newline yet']);
    } finally {
      await source.stop();
    }
  });

  it('stop() waits for batches with the sink and submits unfinished frames before closing', async () => {
    const { source, sink } = await startSource({ udp: false });
    const socket = await openTcp(source.addresses().tcp?.port ?? 0);
    socket.on('error', () => {});
    sink.hold = (batch) => batch.some((e) => e.original === 'slow');
    socket.write('slow\npartial without newline');
    await until(() => sink.held.length === 1, 'the held batch');
    let stopped = false;
    const stopping = source.stop().then(() => {
      stopped = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(stopped, false, 'stop() returned while a batch was still with the sink');
    sink.hold = () => false;
    sink.release();
    await stopping;
    assert.deepEqual(sink.texts(), ['slow', 'partial without newline']);
  });

  it('survives a client that resets its connection, and keeps serving others', async () => {
    const { source, sink } = await startSource({ udp: false });
    try {
      const port = source.addresses().tcp?.port ?? 0;
      const rude = await openTcp(port);
      rude.write('half a mess');
      rude.resetAndDestroy();
      const polite = await openTcp(port);
      polite.write('after the reset\n');
      await until(() => sink.texts().includes('after the reset'), 'the later event');
      polite.destroy();
    } finally {
      await source.stop();
    }
  });
});
