/**
 * Cisco ASA/PIX/FTD messages: `%ASA-6-302013: Built inbound TCP connection …`. The message id
 * and severity always; addresses for the connection and deny messages analysts use most.
 */
import type { Fields } from '../../core/event.js';

// Old PIX and ASA releases leave out the colon after the message id on some messages.
const HEAD = /^%(ASA|PIX|FTD|FWSM)-(\d)-(\d{6})(?:: ?| )/;
const SEVERITY = ['emergency', 'alert', 'critical', 'error', 'warning', 'notification', 'informational', 'debugging'];
// "… from outside:203.0.113.9/51515 to inside:10.0.0.5/22 …" and "… for outside:1.2.3.4/1 (…) to inside:…"
const ENDPOINTS = /(?:from|for|src) ([\w-]+):([0-9a-fA-F.:]+?)\/(\d+)(?: \([^)]{0,100}\))? (?:to|dst) ([\w-]+):([0-9a-fA-F.:]+?)\/(\d+)/;

export function addCiscoAsaFields(message: string, into: Fields): boolean {
  const m = HEAD.exec(message);
  if (!m) return false;
  const [, product, severity, id] = m;
  into['observer.product'] = product!;
  into['observer.vendor'] = 'Cisco';
  into['event.code'] = id!;
  into['log.level'] = SEVERITY[Number(severity)] ?? severity!;
  const text = message.slice(m[0].length);
  into['event.reason'] = text;
  const ep = ENDPOINTS.exec(text);
  if (ep) {
    into['observer.ingress.interface.name'] = ep[1]!;
    into['source.ip'] = ep[2]!;
    into['source.port'] = Number(ep[3]);
    into['observer.egress.interface.name'] = ep[4]!;
    into['destination.ip'] = ep[5]!;
    into['destination.port'] = Number(ep[6]);
  }
  const lower = text.toLowerCase();
  if (lower.startsWith('deny') || lower.includes(' denied ')) {
    into['event.category'] = ['network'];
    into['event.type'] = ['connection', 'denied'];
    into['event.action'] = 'firewall_blocked';
  } else if (lower.startsWith('built')) {
    into['event.category'] = ['network'];
    into['event.type'] = ['connection', 'start'];
    into['event.action'] = 'connection_built';
  } else if (lower.startsWith('teardown')) {
    into['event.category'] = ['network'];
    into['event.type'] = ['connection', 'end'];
    into['event.action'] = 'connection_teardown';
  }
  return true;
}
