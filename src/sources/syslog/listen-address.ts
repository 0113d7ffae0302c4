/** `HOST:PORT` listen settings (`127.0.0.1:5514`, `[::1]:5514`, `0.0.0.0:0`) as socket options. */
import { isIPv6 } from 'node:net';
import { VigilError } from '../../core/errors.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
  /** For UDP, which needs the family up front. */
  readonly family: 4 | 6;
}

export function parseListenAddress(spec: string, where: string): ListenAddress {
  let host: string;
  let portText: string;
  if (spec.startsWith('[')) {
    const close = spec.indexOf(']:');
    host = close > 0 ? spec.slice(1, close) : '';
    portText = close > 0 ? spec.slice(close + 2) : '';
  } else {
    const colon = spec.lastIndexOf(':');
    host = colon > 0 ? spec.slice(0, colon) : '';
    portText = colon > 0 ? spec.slice(colon + 1) : '';
  }
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!host || !(port >= 0 && port <= 65535)) {
    throw new VigilError('config-invalid', `cannot read listen address "${spec}": write HOST:PORT, e.g. 127.0.0.1:5514 or [::1]:5514`, { where });
  }
  return { host, port, family: isIPv6(host) ? 6 : 4 };
}

/** `ip:port`, with IPv6 addresses in brackets so the port stays unambiguous. */
export function formatAddress(ip: string | undefined, port: number | undefined): string | undefined {
  if (ip === undefined || port === undefined) return undefined;
  return isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** A listen failure (port taken, address not local) as an error that says what to change. */
export function listenError(protocol: string, spec: string, where: string, cause: unknown): VigilError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const hint =
    code === 'EADDRINUSE'
      ? 'the port is already in use: stop the other program or choose another port'
      : code === 'EACCES'
        ? 'permission denied: ports below 1024 need privileges; choose a port above 1023 (e.g. 5514) or grant CAP_NET_BIND_SERVICE'
        : code === 'EADDRNOTAVAIL'
          ? 'the address is not one of this machine\'s: use 127.0.0.1, 0.0.0.0 or a local interface address'
          : (cause as Error | undefined)?.message ?? 'unknown error';
  return new VigilError('config-invalid', `cannot listen for syslog over ${protocol} on ${spec}: ${hint}`, { where, cause });
}
