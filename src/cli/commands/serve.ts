/**
 * `vigil serve`: the embedded server in the foreground, stopped cleanly by SIGINT/SIGTERM; with
 * `--role` and a `scaleOut` section, the chosen roles of a scale-out deployment (docs/deploy.md).
 */
import { Command } from 'commander';
import { pino } from 'pino';
import { parseConfig } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { startVigilServer } from '../../server/vigil-server.js';
import { startScaleOutServer } from '../../server/scale-out/scale-out-server.js';
import { isAllRoles, parseRoles, rolesText } from '../../server/scale-out/serve-roles.js';
import { resolveConfig, type CommonOptions } from '../cli-context.js';
import { configOption, dataOption } from '../cli-options.js';

interface ServeOptions extends CommonOptions {
  listenHttp?: string;
  listenSyslog?: string;
  role: string;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the server: syslog (UDP, TCP, TLS) and HTTP ingest, storage, search API')
    .addOption(dataOption())
    .addOption(configOption())
    .option('--listen-http <host:port>', 'HTTP API and ingest listener (default 127.0.0.1:8080)')
    .option('--listen-syslog <host:port>', 'syslog UDP and TCP listener (default 127.0.0.1:5514)')
    .option('--role <roles>', 'what this process runs: ingest, detect, store, api or all, several separated by commas; other than all needs scaleOut in vigil.yaml (docs/deploy.md)', 'all')
    .action(async (options: ServeOptions) => {
      const config = resolveConfig(options);
      const roles = parseRoles(options.role);
      if (!config.scaleOut && !isAllRoles(roles)) {
        throw new VigilError('config-invalid', `--role ${rolesText(roles)} splits Vigil across processes, which needs a scaleOut section in vigil.yaml (NATS, ClickHouse, PostgreSQL: docs/deploy.md); without it, vigil serve runs everything in one process`, { where: '--role' });
      }
      // Re-validate overrides through the schema so a bad flag gets the same clear message.
      if (options.listenHttp) config.http.listen = parseConfig({ http: { listen: options.listenHttp } }, '--listen-http').http.listen;
      if (options.listenSyslog) {
        const listen = parseConfig({ syslog: { udp: options.listenSyslog } }, '--listen-syslog').syslog.udp;
        config.syslog.udp = listen;
        config.syslog.tcp = listen;
      }
      const log = pino({
        level: config.log.level,
        base: { pid: process.pid },
        redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'token', 'secret', 'password'], censor: '[redacted]' },
      }, pino.destination(2));

      if (config.scaleOut) {
        const running = await startScaleOutServer(config, roles, log);
        const { info } = running;
        const scaleOut = config.scaleOut;
        process.stdout.write(
          [
            `Vigil roles ${rolesText(roles)} running (pid ${info.pid}); local state in ${running.folder.root}`,
            `  NATS ${scaleOut.nats.servers.join(', ')} (stream ${scaleOut.nats.stream})   ClickHouse ${scaleOut.clickhouse.url ?? `embedded in ${scaleOut.clickhouse.path}`}   PostgreSQL ${new URL(scaleOut.postgres.url).host}`,
            roles.has('ingest') ? `  ingest                ${info.http}   (NDJSON: POST /api/v1/ingest, Splunk HEC: /services/collector, Elasticsearch: /_bulk)` : '',
            info.syslog.udp ? `  syslog UDP            ${info.syslog.udp}` : '',
            info.syslog.tcp ? `  syslog TCP            ${info.syslog.tcp}` : '',
            info.syslog.tls ? `  syslog TLS            ${info.syslog.tls}` : '',
            roles.has('api') ? `  API and console       ${info.http}` : '',
            running.createdAdminToken ? `  admin token (first run) written to ${running.folder.adminToken} (mode 0600)` : '',
            running.createdAdminUser ? `  console: user "admin", first-run password in ${running.folder.initialAdminPassword} (mode 0600)` : '',
            `  health: ${info.http}/healthz   metrics: ${info.http}/metrics   stop: Ctrl-C`,
          ]
            .filter(Boolean)
            .join('\n') + '\n',
        );
        await untilSignal(log, () => running.stop());
        process.stdout.write('Vigil stopped.\n');
        return;
      }

      const server = await startVigilServer(config, log);
      const { info, folder } = server;
      const lines = [
        `Vigil is running (pid ${info.pid}); data in ${folder.root}`,
        `  HTTP API and ingest   ${info.http}   (NDJSON: POST /api/v1/ingest, Splunk HEC: /services/collector, Elasticsearch: /_bulk)`,
        info.syslog.udp ? `  syslog UDP            ${info.syslog.udp}` : '',
        info.syslog.tcp ? `  syslog TCP            ${info.syslog.tcp}   (newline or octet-counted framing)` : '',
        info.syslog.tls ? `  syslog TLS            ${info.syslog.tls}` : '',
        ...Object.entries(info.syslogInputs ?? {}).map(([name, a]) =>
          `  syslog input ${name}: ${[a.udp && `UDP ${a.udp}`, a.tcp && `TCP ${a.tcp}`, a.tls && `TLS ${a.tls}`].filter(Boolean).join(', ')}`,
        ),
        server.createdAdminToken
          ? `  admin token (first run) written to ${folder.adminToken} (mode 0600): Authorization: Bearer $(cat ${folder.adminToken})`
          : `  admin token: ${folder.adminToken} (created on first run)`,
        server.createdAdminUser
          ? `  console: ${info.http}/ user "admin", first-run password in ${folder.initialAdminPassword} (mode 0600); it must be changed at first login`
          : `  console: ${info.http}/ (lost the admin password? "vigil user reset-password admin")`,
        `  health: ${info.http}/healthz   metrics: ${info.http}/metrics   stop: Ctrl-C`,
      ];
      process.stdout.write(lines.filter(Boolean).join('\n') + '\n');
      await untilSignal(log, () => server.stop());
      process.stdout.write('Vigil stopped.\n');
    });
}

/** Resolves once SIGINT or SIGTERM came and `stop` finished (its error logged). */
function untilSignal(log: { info: (o: object, m: string) => void; error: (o: object, m: string) => void }, stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      log.info({ signal }, 'stopping: closing listeners, storing the backlog');
      stop().then(resolve, (e: unknown) => {
        log.error({ err: e }, 'error while stopping');
        resolve();
      });
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  });
}
