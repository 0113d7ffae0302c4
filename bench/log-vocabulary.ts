/**
 * Names, addresses and commands that generated security logs draw from. Attackers' user names
 * and addresses are many and varied (that is what brute force looks like); our own hosts and
 * users are few, as on a real small estate.
 */
import type { SeededRandom } from '../test/support/seeded-random.js';

export const HOSTS = [
  'web-01', 'web-02', 'web-03', 'db-01', 'db-02', 'bastion', 'mail', 'vpn-gw',
  'build-runner-1', 'build-runner-2', 'fw-edge', 'files', 'monitoring', 'k8s-node-a', 'k8s-node-b',
] as const;

export const LOCAL_USERS = ['alice', 'bob', 'carol', 'deploy', 'backup', 'root', 'postgres', 'www-data'] as const;

/** User names seen in SSH brute-force dictionaries. */
export const INVALID_USERS = [
  'admin', 'test', 'oracle', 'ubuntu', 'guest', 'user', 'ftpuser', 'pi', 'git', 'support',
  'administrator', 'hadoop', 'jenkins', 'nagios', 'tomcat', 'mysql', 'minecraft', 'steam', 'demo', 'dev',
] as const;

export const SUDO_COMMANDS = [
  '/usr/bin/systemctl restart nginx', '/usr/bin/apt-get upgrade -y', '/bin/cat /etc/shadow',
  '/usr/bin/journalctl -u sshd', '/usr/sbin/iptables -L -n', '/usr/bin/docker ps',
  '/bin/chmod 600 /etc/ssl/private/site.key', '/usr/bin/vim /etc/hosts',
] as const;

export const SSH_KEY_TYPES = ['RSA', 'ED25519', 'ECDSA'] as const;

export const FIREWALL_PORTS = [22, 23, 25, 80, 443, 445, 1433, 3306, 3389, 5432, 5900, 6379, 8080, 9200] as const;

/** A public-looking IPv4 address (avoids 0, 10, 127 and 224+ first octets). */
export function publicIp(random: SeededRandom): string {
  let first = random.int(1, 223);
  if (first === 10 || first === 127) first += 1;
  return `${first}.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(1, 254)}`;
}

export function privateIp(random: SeededRandom): string {
  return `10.0.${random.int(0, 3)}.${random.int(2, 254)}`;
}

/** The MAC= field of a netfilter log line: destination MAC, source MAC, EtherType (IPv4). */
export function macAddress(random: SeededRandom): string {
  const parts: string[] = [];
  for (let i = 0; i < 12; i++) parts.push(random.hex(2));
  return `${parts.join(':')}:08:00`;
}
