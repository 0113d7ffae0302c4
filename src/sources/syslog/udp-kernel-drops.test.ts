/**
 * The kernel's receive-buffer drops of one UDP socket, read from /proc/net/udp by inode: a real
 * socket whose reader is blocked (this thread sleeps in Atomics.wait) while another process
 * sends it far more than its buffer holds. The count must appear, for that socket only, and in
 * /metrics as vigil_udp_receive_buffer_drops_total{input}.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Metrics } from '../../core/metrics.js';
import { socketInode, udpSocketDrops, udpSocketInodeByPort } from './udp-kernel-drops.js';

const SENDER = `
const s = require('node:dgram').createSocket('udp4');
const port = Number(process.argv[1]);
let n = 0;
const msg = Buffer.alloc(512, 0x61);
const go = () => { for (let i = 0; i < 500; i++) s.send(msg, port, '127.0.0.1'); n += 500; if (n < 20000) setImmediate(go); else s.close(); };
go();
`;

describe('UDP receive-buffer drops from /proc', { skip: existsSync('/proc/net/udp') ? false : 'no /proc/net/udp (not Linux)' }, () => {
  it('reads the kernel drop count of a socket whose reader cannot keep up, and exports it per input', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.setRecvBufferSize(64 * 1024);
    const other = createSocket('udp4');
    await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', resolve));
    let received = 0;
    socket.on('message', () => received++);

    const fd = (socket as unknown as { _handle: { fd: number } })._handle.fd;
    const inode = socketInode(fd);
    assert.match(inode ?? '', /^\d+$/, 'the socket has an inode');
    assert.equal(udpSocketInodeByPort(socket.address().port), inode, 'found by its bound port, as the listener finds it');
    assert.notEqual(udpSocketInodeByPort(other.address().port), inode);
    assert.equal(udpSocketDrops(inode!), 0, 'no drops yet');

    const metrics = new Metrics();
    const unwatch = metrics.watchUdpKernelDrops('syslog-test', () => udpSocketDrops(inode!));

    // This thread does not read while the sender runs (spawnSync blocks the event loop).
    const sent = spawnSync(process.execPath, ['-e', SENDER, String(socket.address().port)], { timeout: 20_000 });
    assert.equal(sent.status, 0, sent.stderr.toString());
    await new Promise((r) => setTimeout(r, 200));

    const drops = udpSocketDrops(inode!) ?? -1;
    assert.ok(drops > 0, `the kernel dropped datagrams (${drops}; ${received} received)`);
    assert.ok(drops + received <= 20_000, 'drops and receipts never exceed what was sent');
    const otherInode = socketInode((other as unknown as { _handle: { fd: number } })._handle.fd);
    assert.equal(udpSocketDrops(otherInode!), 0, 'another socket has its own count');

    const text = await metrics.registry.metrics();
    assert.match(text, new RegExp(`^vigil_udp_receive_buffer_drops_total\\{input="syslog-test"\\} ${drops}$`, 'm'));
    unwatch();
    assert.doesNotMatch(await metrics.registry.metrics(), /input="syslog-test"/, 'a closed input is no longer exported');
    socket.close();
    other.close();
  });

  it('answers undefined for an inode that is not a UDP socket', () => {
    assert.equal(udpSocketDrops('0'), undefined);
    assert.equal(socketInode(-1), undefined);
  });
});
