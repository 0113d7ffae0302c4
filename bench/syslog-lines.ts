/**
 * Realistic syslog lines for load: sshd brute force and logins, sudo, su, kernel firewall
 * drops, cron and systemd, half RFC 5424 and half RFC 3164, varying host, app, pid and text.
 * A line carries no trailing newline; framing is the sender's business.
 */
import { SeededRandom } from '../test/support/seeded-random.js';
import {
  FIREWALL_PORTS, HOSTS, INVALID_USERS, LOCAL_USERS, SSH_KEY_TYPES, SUDO_COMMANDS,
  macAddress, privateIp, publicIp,
} from './log-vocabulary.js';

interface SyslogMessage {
  readonly facility: number;
  readonly severity: number;
  readonly app: string;
  /** null for the kernel, which logs without a pid. */
  readonly pid: number | null;
  readonly msgId: string;
  readonly text: string;
}

// RFC 5424 §6.2.1 facility codes used below.
const KERN = 0;
const DAEMON = 3;
const AUTH = 4;
const CRON = 9;
const AUTHPRIV = 10;

type MessageMaker = (random: SeededRandom) => SyslogMessage;

const sshd = (random: SeededRandom, severity: number, msgId: string, text: string): SyslogMessage => ({
  facility: AUTH, severity, app: 'sshd', pid: random.int(800, 65000), msgId, text,
});

/** Weighted like an internet-facing estate: mostly SSH noise, some admin activity. */
const MAKERS: ReadonlyArray<readonly [number, MessageMaker]> = [
  [30, (r) => sshd(r, 6, 'auth-fail',
    `Failed password for invalid user ${r.pick(INVALID_USERS)} from ${publicIp(r)} port ${r.int(1024, 65535)} ssh2`)],
  [10, (r) => sshd(r, 6, 'auth-fail',
    `Failed password for ${r.pick(LOCAL_USERS)} from ${publicIp(r)} port ${r.int(1024, 65535)} ssh2`)],
  [10, (r) => sshd(r, 6, 'invalid-user',
    `Invalid user ${r.pick(INVALID_USERS)} from ${publicIp(r)} port ${r.int(1024, 65535)}`)],
  [8, (r) => sshd(r, 6, 'disconnect',
    `Disconnected from authenticating user root ${publicIp(r)} port ${r.int(1024, 65535)} [preauth]`)],
  [6, (r) => sshd(r, 6, 'auth-ok',
    `Accepted publickey for ${r.pick(LOCAL_USERS)} from ${privateIp(r)} port ${r.int(1024, 65535)} ssh2: ` +
    `${r.pick(SSH_KEY_TYPES)} SHA256:${r.hex(43)}`)],
  [8, (r) => ({
    facility: AUTHPRIV, severity: 5, app: 'sudo', pid: r.int(1000, 65000), msgId: 'command',
    text: `${r.pick(LOCAL_USERS)} : TTY=pts/${r.int(0, 5)} ; PWD=/home/${r.pick(LOCAL_USERS)} ; USER=root ; ` +
      `COMMAND=${r.pick(SUDO_COMMANDS)}`,
  })],
  [3, (r) => {
    const user = r.pick(LOCAL_USERS);
    return {
      facility: AUTHPRIV, severity: 5, app: 'su', pid: r.int(1000, 65000), msgId: 'auth-fail',
      text: `pam_unix(su:auth): authentication failure; logname=${user} uid=1000 euid=0 tty=pts/${r.int(0, 5)} ` +
        `ruser=${user} rhost=  user=root`,
    };
  }],
  [15, (r) => ({
    facility: KERN, severity: 4, app: 'kernel', pid: null, msgId: 'ufw-block',
    text: `[${r.int(1000, 999999)}.${String(r.int(0, 999999)).padStart(6, '0')}] [UFW BLOCK] IN=eth0 OUT= ` +
      `MAC=${macAddress(r)} SRC=${publicIp(r)} DST=${privateIp(r)} LEN=${r.int(40, 1500)} TOS=0x00 PREC=0x00 ` +
      `TTL=${r.int(30, 250)} ID=${r.int(1, 65535)} DF PROTO=TCP SPT=${r.int(1024, 65535)} ` +
      `DPT=${r.pick(FIREWALL_PORTS)} WINDOW=${r.int(1024, 65535)} RES=0x00 SYN URGP=0`,
  })],
  [6, (r) => ({
    facility: CRON, severity: 6, app: 'CRON', pid: r.int(1000, 65000), msgId: 'session',
    text: `pam_unix(cron:session): session opened for user ${r.pick(LOCAL_USERS)}(uid=${r.int(0, 1005)}) by (uid=0)`,
  })],
  [4, (r) => ({
    facility: DAEMON, severity: 6, app: 'systemd', pid: 1, msgId: 'session',
    text: `Started Session ${r.int(1, 99999)} of User ${r.pick(LOCAL_USERS)}.`,
  })],
];

const TOTAL_WEIGHT = MAKERS.reduce((sum, [weight]) => sum + weight, 0);

function makeMessage(random: SeededRandom): SyslogMessage {
  let roll = random.next() * TOTAL_WEIGHT;
  for (const [weight, make] of MAKERS) {
    roll -= weight;
    if (roll < 0) return make(random);
  }
  const last = MAKERS[MAKERS.length - 1];
  if (!last) throw new Error('no syslog message makers');
  return last[1](random);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number): string => String(n).padStart(2, '0');

function rfc5424(message: SyslogMessage, host: string, time: Date, random: SeededRandom): string {
  const pri = message.facility * 8 + message.severity;
  const procId = message.pid === null ? '-' : String(message.pid);
  // Most senders emit no structured data; some add timeQuality (RFC 5424 §7.1).
  const sd = random.next() < 0.25 ? '[timeQuality tzKnown="1" isSynced="1"]' : '-';
  return `<${pri}>1 ${time.toISOString()} ${host} ${message.app} ${procId} ${message.msgId} ${sd} ${message.text}`;
}

function rfc3164(message: SyslogMessage, host: string, time: Date): string {
  const pri = message.facility * 8 + message.severity;
  // RFC 3164 §4.1.2: a one-digit day is padded with a space, not a zero.
  const stamp = `${MONTHS[time.getUTCMonth()]} ${String(time.getUTCDate()).padStart(2, ' ')} ` +
    `${two(time.getUTCHours())}:${two(time.getUTCMinutes())}:${two(time.getUTCSeconds())}`;
  const tag = message.pid === null ? message.app : `${message.app}[${message.pid}]`;
  return `<${pri}>${stamp} ${host} ${tag}: ${message.text}`;
}

/** `count` lines stamped around `startMs`, a millisecond or so apart. */
export function syslogLines(count: number, seed: number, startMs: number): string[] {
  const random = new SeededRandom(seed);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const message = makeMessage(random);
    const host = random.pick(HOSTS);
    const time = new Date(startMs + i);
    lines.push(random.next() < 0.5 ? rfc5424(message, host, time, random) : rfc3164(message, host, time));
  }
  return lines;
}
