/**
 * The kernel's count of datagrams it dropped for one UDP socket because its receive buffer was
 * full (Linux: the `drops` column of /proc/net/udp and /proc/net/udp6, per socket inode).
 * These drops happen before Vigil sees a byte, so no application counter can know them; they
 * are read at scrape time and exported as `vigil_udp_receive_buffer_drops_total{input}`.
 * Elsewhere than Linux (no /proc) the figure is simply absent.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const UDP_TABLES = ['/proc/net/udp', '/proc/net/udp6'] as const;

/** The socket inode behind a file descriptor of this process (`socket:[12345]`), if any. */
export function socketInode(fd: number): string | undefined {
  try {
    return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The inode of this process's UDP socket bound to `port`: a socket of ours (a descriptor in
 * /proc/self/fd) whose row in /proc/net/udp{,6} has that local port. node:dgram hides the
 * descriptor (reading it from the private handle prints a deprecation warning at every start),
 * so the socket is found from the kernel's side instead.
 */
export function udpSocketInodeByPort(port: number): string | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const bound = new Set<string>();
  for (const table of UDP_TABLES) {
    for (const columns of tableRows(table)) {
      if (columns[1]?.endsWith(`:${hexPort}`) && columns[9] !== undefined) bound.add(columns[9]);
    }
  }
  if (bound.size === 0) return undefined;
  let fds: string[];
  try {
    fds = readdirSync('/proc/self/fd');
  } catch {
    return undefined;
  }
  for (const fd of fds) {
    const inode = socketInode(Number(fd));
    if (inode !== undefined && bound.has(inode)) return inode;
  }
  return undefined;
}

/** The rows of a /proc/net table, split into columns; none when it cannot be read. */
function tableRows(table: string): string[][] {
  let text: string;
  try {
    text = readFileSync(table, 'latin1');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/));
}

/**
 * The `drops` column for the socket with this inode, from /proc/net/udp and /proc/net/udp6.
 * Columns: sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops.
 */
export function udpSocketDrops(inode: string): number | undefined {
  for (const table of UDP_TABLES) {
    for (const columns of tableRows(table)) {
      if (columns.length >= 13 && columns[9] === inode) {
        const drops = Number(columns[12]);
        return Number.isFinite(drops) ? drops : undefined;
      }
    }
  }
  return undefined;
}
