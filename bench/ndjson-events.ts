/**
 * Realistic JSON security events as an agent or script would ship them to the ingest API:
 * ECS field names as nested objects, the common shape of Elastic Agent and Vector output.
 */
import { SeededRandom } from '../test/support/seeded-random.js';
import { HOSTS, INVALID_USERS, LOCAL_USERS, SUDO_COMMANDS, privateIp, publicIp } from './log-vocabulary.js';

interface IngestEvent {
  readonly '@timestamp': string;
  readonly host: { readonly name: string };
  readonly user: { readonly name: string };
  readonly source: { readonly ip: string; readonly port?: number };
  readonly event: {
    readonly action: string;
    readonly category: readonly string[];
    readonly outcome: 'success' | 'failure' | 'unknown';
  };
  readonly process?: { readonly name: string; readonly pid: number };
  readonly message: string;
}

function makeEvent(random: SeededRandom, timeMs: number): IngestEvent {
  const host = random.pick(HOSTS);
  const timestamp = new Date(timeMs).toISOString();
  const roll = random.next();
  if (roll < 0.45) {
    const user = random.next() < 0.7 ? random.pick(INVALID_USERS) : random.pick(LOCAL_USERS);
    const ip = publicIp(random);
    const port = random.int(1024, 65535);
    return {
      '@timestamp': timestamp, host: { name: host }, user: { name: user }, source: { ip, port },
      event: { action: 'ssh_login', category: ['authentication'], outcome: 'failure' },
      process: { name: 'sshd', pid: random.int(800, 65000) },
      message: `Failed password for ${user} from ${ip} port ${port} ssh2`,
    };
  }
  if (roll < 0.6) {
    const user = random.pick(LOCAL_USERS);
    const ip = privateIp(random);
    return {
      '@timestamp': timestamp, host: { name: host }, user: { name: user }, source: { ip },
      event: { action: 'ssh_login', category: ['authentication'], outcome: 'success' },
      process: { name: 'sshd', pid: random.int(800, 65000) },
      message: `Accepted publickey for ${user} from ${ip} port ${random.int(1024, 65535)} ssh2`,
    };
  }
  if (roll < 0.8) {
    const user = random.pick(LOCAL_USERS);
    const command = random.pick(SUDO_COMMANDS);
    return {
      '@timestamp': timestamp, host: { name: host }, user: { name: user }, source: { ip: privateIp(random) },
      event: { action: 'sudo', category: ['process'], outcome: 'success' },
      process: { name: 'sudo', pid: random.int(1000, 65000) },
      message: `${user} : TTY=pts/${random.int(0, 5)} ; PWD=/home/${user} ; USER=root ; COMMAND=${command}`,
    };
  }
  const user = random.pick(LOCAL_USERS);
  const ip = publicIp(random);
  return {
    '@timestamp': timestamp, host: { name: host }, user: { name: user }, source: { ip },
    event: { action: random.next() < 0.5 ? 'web_login' : 'password_reset', category: ['authentication', 'web'], outcome: random.next() < 0.3 ? 'failure' : 'success' },
    message: `POST /login user=${user} from ${ip} status=${random.next() < 0.3 ? 401 : 302}`,
  };
}

/** One NDJSON request body of `count` events (each line a JSON object, newline-terminated). */
export function ndjsonBody(count: number, seed: number, startMs: number): Buffer {
  const random = new SeededRandom(seed);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(JSON.stringify(makeEvent(random, startMs + i)));
  return Buffer.from(`${lines.join('\n')}\n`);
}
