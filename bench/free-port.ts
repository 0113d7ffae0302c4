/** Picks loopback ports nobody is listening on, so runs never collide with a real service. */
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';

function tcpPort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/** A free TCP port on 127.0.0.1; with `udp`, one free for UDP as well (syslog listens on both). */
export async function freePort(options: { udp?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await tcpPort();
    if (!options.udp || (await udpFree(port))) return port;
  }
  throw new Error('no free loopback port found after 20 attempts');
}
