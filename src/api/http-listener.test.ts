/**
 * The HTTP listener under an idle-connection flood, over real sockets, plain and TLS: near its
 * connection cap it closes the connection silent longest (then the keep-alive connection quiet
 * longest) so a new sender gets in, and never one in the middle of a request.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { FastifyServerFactoryHandler } from 'fastify';
import { makeTestCert } from '../../test/support/tls-cert.js';
import type { EvictedState } from '../sources/connection-evictor.js';
import { DEFAULT_TIMEOUTS, serverFactory, type TlsMaterial } from './http-listener.js';

/** capacity 5: an arrival evicts once 4 connections are held. */
const CAPACITY = 5;

for (const secure of [false, true]) {
  describe(`the ${secure ? 'HTTPS' : 'HTTP'} listener near its connection cap`, () => {
    let server: http.Server;
    let port = 0;
    const evicted: EvictedState[] = [];
    const cert = secure ? makeTestCert() : undefined;
    const material: TlsMaterial | undefined = cert ? { cert: Buffer.from(cert.cert), key: Buffer.from(cert.key), requireClientCert: false } : undefined;
    const sockets: net.Socket[] = [];

    before(async () => {
      // Echoes the body length once the whole body has arrived.
      const handler = ((req: http.IncomingMessage, res: http.ServerResponse) => {
        let length = 0;
        req.on('data', (chunk: Buffer) => (length += chunk.length));
        req.on('end', () => res.end(String(length)));
      }) as unknown as FastifyServerFactoryHandler;
      server = serverFactory(material, DEFAULT_TIMEOUTS, { onEvicted: (state) => evicted.push(state) }, CAPACITY)(handler, {}) as http.Server;
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as net.AddressInfo).port;
    });
    after(async () => {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    /** A connection that says nothing (TLS: completes the handshake, then says nothing). */
    async function silent(): Promise<net.Socket> {
      const socket = secure ? tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false }) : net.connect(port, '127.0.0.1');
      sockets.push(socket);
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once(secure ? 'secureConnect' : 'connect', resolve));
      return socket;
    }

    function closed(socket: net.Socket): Promise<boolean> {
      return new Promise((resolve) => {
        if (socket.destroyed || socket.readyState === 'closed') return resolve(true);
        const timer = setTimeout(() => resolve(false), 2000);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
      });
    }

    function post(body: string, agent: http.Agent | false = false): Promise<{ status: number; text: string }> {
      const request = secure ? https.request : http.request;
      return new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent, rejectUnauthorized: false }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
    }

    it('lets a new sender in by closing the connection silent longest, but never one mid-request', async () => {
      evicted.length = 0;
      // Mid-request: headers sent, half the body still to come.
      const uploader = await silent();
      uploader.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n12345');
      let uploaded = '';
      uploader.on('data', (d: Buffer) => (uploaded += d.toString()));
      await new Promise((r) => setTimeout(r, 100)); // the server has seen the headers
      const idle = [await silent(), await silent(), await silent()]; // 4 held: at the threshold
      const answer = await post('hello');
      assert.deepEqual(answer, { status: 200, text: '5' });
      assert.equal(await closed(idle[0]!), true, 'the oldest silent connection was not closed');
      assert.equal(uploader.destroyed, false, 'the connection mid-request was closed');
      assert.ok(evicted.length >= 1 && evicted.every((s) => s === 'silent'), `evicted: ${evicted.join(',')}`);
      uploader.write('67890');
      await closed(uploader);
      assert.match(uploaded, /^HTTP\/1\.1 200[\s\S]*\r\n\r\n10$/);
      for (const s of idle) s.destroy();
    });

    it('closes the keep-alive connection quiet longest when no silent one is left', async () => {
      evicted.length = 0;
      const agents = Array.from({ length: CAPACITY - 1 }, () => (secure ? new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false }) : new http.Agent({ keepAlive: true, maxSockets: 1 })));
      try {
        for (const agent of agents) assert.equal((await post('ka', agent)).status, 200);
        await new Promise((r) => setTimeout(r, 50));
        const answer = await post('newcomer');
        assert.deepEqual(answer, { status: 200, text: '8' });
        assert.ok(evicted.includes('quiet'), `evicted: ${evicted.join(',')}`);
        // The other keep-alive connections still work.
        assert.equal((await post('again', agents.at(-1))).status, 200);
      } finally {
        for (const agent of agents) agent.destroy();
      }
    });
  });
}
