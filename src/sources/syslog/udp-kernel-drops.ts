/**
 * The kernel's count of datagrams it dropped for one UDP socket because its receive buffer was
 * full (Linux: the `drops` column of /proc/net/udp and /proc/net/udp6, per socket inode).
 * These drops happen before Vigil sees a byte, so no application counter can know them; they
 * are read at scrape time and exported as `vigil_udp_receive_buffer_drops_total{input}`.
 * Elsewhere than Linux (no /proc) the figure is simply absent.
 */
import { readFileSync, readlinkSync } from 'node:fs';

/** The socket inode behind a file descriptor of this process (`socket:[12345]`), if any. */
export function socketInode(fd: number): string | undefined {
  try {
    return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * The `drops` column for the socket with this inode, from /proc/net/udp and /proc/net/udp6.
 * Columns: sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops.
 */
export function udpSocketDrops(inode: string): number | undefined {
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      if (columns.length >= 13 && columns[9] === inode) {
        const drops = Number(columns[12]);
        return Number.isFinite(drops) ? drops : undefined;
      }
    }
  }
  return undefined;
}
