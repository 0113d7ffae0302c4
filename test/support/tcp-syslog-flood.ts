/**
 * A TCP syslog sender that writes as fast as the socket lets it, 100 lines at a time, and
 * records how long its writes were blocked: the measure of TCP back-pressure in the fault tests.
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { hostPort } from './vigil-process.js';

export interface TcpSyslogFlood {
  /** Lines written so far (numbered from 0 by `line`). */
  readonly sent: number;
  /** The longest time one write waited for `drain`, ms. */
  readonly longestWaitMs: number;
  /** Stops writing, ends the connection and resolves when it is closed. */
  stop(): Promise<void>;
}

export async function startTcpSyslogFlood(address: string, line: (n: number) => string): Promise<TcpSyslogFlood> {
  const { host, port } = hostPort(address);
  const tcp = connect({ host, port });
  await new Promise<void>((resolve, reject) => tcp.once('connect', resolve).once('error', reject));
  let sent = 0;
  let longestWaitMs = 0;
  let stopping = false;
  const done = (async () => {
    while (!stopping) {
      let chunk = '';
      for (let i = 0; i < 100; i++) chunk += line(sent++);
      if (!tcp.write(chunk)) {
        const t0 = Date.now();
        await new Promise((r) => tcp.once('drain', r));
        longestWaitMs = Math.max(longestWaitMs, Date.now() - t0);
      }
      await sleep(5);
    }
    await new Promise<void>((r) => tcp.end(r));
  })();
  return {
    get sent() {
      return sent;
    },
    get longestWaitMs() {
      return longestWaitMs;
    },
    stop: async () => {
      stopping = true;
      await done;
    },
  };
}
