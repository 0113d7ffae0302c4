/**
 * `vigil.yaml`: one file, validated at start. Every error names the key and what to write
 * instead. docs/configuration.md documents every option; keep the two in step.
 */
import { readFileSync } from 'node:fs';
import { resolve, dirname, isAbsolute } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { VigilError } from './errors.js';
import { EVENT_FORMATS, SOURCE_KINDS } from './event.js';

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'write HOST:PORT, e.g. 127.0.0.1:8080 or [::1]:8080')
  .refine((s) => {
    const port = Number(s.slice(s.lastIndexOf(':') + 1));
    return port >= 0 && port <= 65535;
  }, 'the port must be 0..65535');

const tlsFiles = z.strictObject({
  cert: z.string().min(1, 'path to a PEM certificate chain'),
  key: z.string().min(1, 'path to the PEM private key'),
  /** CA bundle to verify client certificates (mutual TLS). */
  ca: z.string().min(1).optional(),
  requireClientCert: z.boolean().default(false),
});

const listenOrOff = z.union([hostPort, z.literal(false)]);

/** How a syslog input reads each message (see src/parsers/line/line-parser.ts). */
const lineFormat = z.enum(['auto', 'syslog', 'json', 'web', 'auditd', 'cef', 'raw']);

/** Zone for timestamps that carry none (BSD syslog): UTC, an offset (+02:00) or an IANA name. */
const zoneName = z.string().min(1);

/**
 * `scaleOut`: the roles of `vigil serve --role` talk through NATS JetStream, ClickHouse and
 * PostgreSQL (docs/scaling.md, docs/deploy.md). Absent: the embedded default (one process,
 * DuckDB, a write-ahead log in the data folder).
 */
const natsTls = z.strictObject({
  /** CA bundle that signed the NATS servers' certificates (default: the system's). */
  ca: z.string().min(1).optional(),
  /** Client certificate and key, when the servers ask for one (verify: true). */
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
}).refine((t) => (t.cert === undefined) === (t.key === undefined), 'give both cert and key, or neither');

const scaleOutSchema = z.strictObject({
  nats: z
    .strictObject({
      /** Any of the cluster's servers; the client learns the rest. */
      servers: z.array(z.string().regex(/^(nats|tls):\/\/[^\s/]+$/, 'a NATS URL such as nats://nats-1.internal:4222 or tls://…')).min(1, 'at least one NATS server URL'),
      /** The JetStream stream carrying events; the same in every role. */
      stream: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -').default('VIGIL_EVENTS'),
      /** Copies of the stream: 1 on one server, 3 in a three-node cluster (survives one node down). */
      replicas: z.number().int().min(1).max(5).default(1),
      /** Subjects `vigil.events.<tenant>.<partition>`; fixed once the stream exists (docs/deploy.md, sizing). */
      partitions: z.number().int().min(1).max(1024).default(16),
      /** Backlog the stream keeps for consumers that fall behind; past it ingest answers 503. */
      maxBytes: z.number().int().min(1024 * 1024).default(8 * 1024 ** 3),
      /** User and password, or a token, or a credentials file (JWT + NKey seed, from `nsc`). */
      user: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
      token: z.string().min(1).optional(),
      credentials: z.string().min(1).optional(),
      tls: natsTls.optional(),
    })
    .refine((n) => (n.user === undefined) === (n.password === undefined), 'give both user and password, or neither')
    .refine((n) => [n.user, n.token, n.credentials].filter((x) => x !== undefined).length <= 1, 'use one of user/password, token or credentials'),
  clickhouse: z
    .strictObject({
      /** A ClickHouse server's HTTP interface, e.g. https://clickhouse.internal:8443 (credentials below, not in the URL). */
      url: z.string().regex(/^https?:\/\/[^\s@]+$/, 'an http:// or https:// URL without user or password (use username and password)').optional(),
      username: z.string().min(1).optional(),
      password: z.string().optional(),
      /** Database holding Vigil's tables (created beforehand by an administrator). */
      database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'letters, digits and _').default('default'),
      /**
       * Development and tests only: ClickHouse embedded in the process (chdb) with its data in this
       * folder. Only one process can open it, so the store role and every role that reads events
       * (api; detect for alert context) must run in that one process.
       */
      path: z.string().min(1).optional(),
      /** Backstop TTL in days on stored events (0: none); set above the longest retention rule. */
      ttlDays: z.number().int().min(0).max(36_500).default(0),
      /**
       * The key that signs the event chain (docs/history.md): the store role signs with it and
       * the api role verifies with it, so every node running either needs the same file.
       * Default `<data>/chain-key`.
       */
      chainKeyFile: z.string().min(1).optional(),
    })
    .refine((c) => (c.url === undefined) !== (c.path === undefined), 'give url (a ClickHouse server) or path (embedded chdb, development only), not both'),
  /**
   * Partitioned detection (docs/scaling.md, "Detection workers"): absent, one detect process
   * reads every event through the durable consumer `detect`. Present, `workers` detect processes
   * each run the stateless stage on their share of the event partitions and own the detection
   * partitions p with p mod workers = worker. Every process of the deployment (every role)
   * needs the same `partitions` and `workers`, since they declare the events stream's consumers.
   */
  detect: z
    .strictObject({
      /** Partitions of correlation windows and behaviour baselines; fixed once state exists. */
      partitions: z.number().int().min(1).max(1024).default(16),
      /** Detect processes in the deployment. */
      workers: z.number().int().min(1).max(1024).default(1),
      /** This process's number, 0 to workers - 1 (each detect process its own). */
      worker: z.number().int().min(0).max(1023).default(0),
      /** The JetStream stream carrying what the stateless stage sends to the partitions. */
      stream: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -').default('VIGIL_DETECT'),
      /** A partition saves its checkpoint at least this often (and every 10,000 records). */
      checkpointSeconds: z.number().min(0.1).max(3600).default(5),
    })
    .refine((d) => d.worker < d.workers, 'worker must be below workers (0 to workers - 1)')
    .refine((d) => d.workers <= d.partitions, 'workers must not exceed partitions: a partition has one worker')
    .optional(),
  postgres: z.strictObject({
    /** postgres://user:password@host:5432/database (sslmode and other libpq parameters allowed). */
    url: z.string().regex(/^postgres(ql)?:\/\//, 'a URL such as postgres://vigil:secret@db.internal:5432/vigil'),
    /** Schema holding Vigil's tables; created when missing. */
    schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _').optional(),
    /** Connections per Vigil process; the sum over all processes must stay under max_connections. */
    poolSize: z.number().int().min(1).max(1000).default(10),
  }),
});

export type ScaleOutConfig = z.infer<typeof scaleOutSchema>;

export const configSchema = z.strictObject({
  data: z.string().min(1).default('./vigil-data'),
  tenant: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, _ and -').default('default'),
  http: z
    .strictObject({
      listen: hostPort.default('127.0.0.1:8080'),
      tls: tlsFiles.optional(),
      /** Largest request body as sent (compressed or not). */
      maxBodyBytes: z.number().int().positive().default(32 * 1024 * 1024),
      /** Largest body after gunzip: bodies that inflate past this get 413. */
      maxInflatedBytes: z.number().int().positive().default(128 * 1024 * 1024),
      /** Largest single event; longer ones are truncated and flagged. */
      maxEventBytes: z.number().int().positive().default(1024 * 1024),
      /** Largest JSON nesting depth accepted in one event. */
      maxJsonDepth: z.number().int().positive().max(1000).default(64),
      /** The web console at `/` (from ui/dist, built by `npm run build:ui`). */
      console: z.boolean().default(true),
    })
    .prefault({}),
  /** Console accounts and sessions (docs/accounts.md). */
  accounts: z
    .strictObject({
      /** A session unused this long ends. */
      sessionIdleMinutes: z.number().int().min(1).max(7 * 24 * 60).default(480),
      /** A session ends this long after login, used or not. */
      sessionLifetimeHours: z.number().int().min(1).max(30 * 24).default(24),
      /** Failed logins per client address and username in a window before 429. */
      loginFailuresPerUser: z.number().int().min(1).max(1000).default(5),
      /** Failed logins per client address (any username) in a window before 429. */
      loginFailuresPerAddress: z.number().int().min(1).max(100_000).default(30),
      loginWindowMinutes: z.number().int().min(1).max(24 * 60).default(15),
      /** Origins a console page may be served from besides the request's own host (a reverse proxy that rewrites Host). */
      allowedOrigins: z.array(z.string().regex(/^https?:\/\/[A-Za-z0-9.\-[\]:]+$/, 'an origin: scheme and host, e.g. https://vigil.example.com')).default([]),
      /** `Secure` on the session cookie; default: on when http.tls is set. Set true behind a proxy that terminates TLS. */
      secureCookie: z.boolean().optional(),
    })
    .prefault({}),
  syslog: z
    .strictObject({
      udp: listenOrOff.default('127.0.0.1:5514'),
      tcp: listenOrOff.default('127.0.0.1:5514'),
      tls: tlsFiles.extend({ listen: hostPort.default('127.0.0.1:6514') }).optional(),
      /** Longer messages are truncated and flagged (RFC 5425 asks for at least 8192). */
      maxMessageBytes: z.number().int().min(2048).default(64 * 1024),
      /** Per TCP/TLS listener. New connections past this are closed at once and counted. */
      maxConnections: z.number().int().positive().default(1024),
      /** A connection that sends nothing for this long is closed. */
      idleTimeoutMs: z.number().int().positive().default(10 * 60 * 1000),
      timeZone: zoneName.default('UTC'),
      /** How each message is read: `auto` detects syslog, JSON, web, audit and device lines per message. */
      format: lineFormat.default('auto'),
      /**
       * More syslog inputs, each with its own ports, format and zone (a firewall in another
       * zone, a sender of CEF on its own port). Size limits are those above.
       */
      inputs: z
        .array(
          z.strictObject({
            name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, _ and -: the input name in events and metrics'),
            udp: listenOrOff.default(false),
            tcp: listenOrOff.default(false),
            tls: tlsFiles.extend({ listen: hostPort }).optional(),
            format: lineFormat.default('auto'),
            timeZone: zoneName.optional(),
          }),
        )
        .default([])
        .refine((inputs) => new Set(inputs.map((i) => i.name)).size === inputs.length, 'each input needs its own name')
        .refine((inputs) => inputs.every((i) => i.name !== 'syslog'), 'the name syslog is taken by the main listeners above'),
    })
    .prefault({}),
  /** Log files `vigil serve` follows (paths, or patterns with * and ? in the last segment). */
  files: z
    .array(
      z.strictObject({
        path: z.string().min(1, 'a file path such as /var/log/auth.log or /var/log/nginx/*.log'),
        format: z.enum(['auto', 'syslog', 'json', 'json-document', 'web', 'w3c', 'auditd', 'zeek', 'wazuh-logtest']).default('auto'),
        /** For a file already there at the first start: read it all, or only what comes next. */
        startAt: z.enum(['beginning', 'end']).default('beginning'),
      }),
    )
    .default([]),
  /** How often followed files are checked for new lines. */
  filesPollMs: z.number().int().min(100).max(60_000).default(1000),
  pipeline: z
    .strictObject({
      /** Events per store commit. */
      batchSize: z.number().int().positive().max(100_000).default(5000),
      /** Durable-but-unstored backlog past which ingest answers 503 and TCP reads pause. */
      maxQueueEvents: z.number().int().positive().default(1_000_000),
      /** Event-log segment size before rolling to a new file. */
      walSegmentBytes: z.number().int().min(1024 * 1024).default(64 * 1024 * 1024),
    })
    .prefault({}),
  store: z
    .strictObject({
      /**
       * DuckDB memory limit, e.g. `1GB`, or `auto`: a quarter of the machine's memory, at least
       * 1GB and at most 8GB (full scans of 10M events ran 15-25% faster with 8GB than with 1GB).
       */
      memoryLimit: z.union([z.literal('auto'), z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/, 'e.g. 1GB, 512MB or auto')]).default('auto'),
      threads: z.number().int().positive().max(64).default(2),
      /**
       * DuckDB folds its WAL into the database file past this size. Larger means faster
       * appends (measured 12k → 22k events/s from 16MB to 256MB) but longer pauses and replays.
       */
      checkpointThreshold: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/, 'e.g. 256MB').default('256MB'),
      /**
       * The event chain is signed (docs/history.md) at least every this many batches and every
       * this many seconds: what could be rewritten unnoticed by someone without the key.
       */
      chainSignEveryBatches: z.number().int().min(1).max(100_000).default(100),
      chainSignEverySeconds: z.number().int().min(1).max(86_400).default(60),
    })
    .prefault({}),
  /** Context added to every event before detection, so rules can read it. */
  enrich: z
    .strictObject({
      /** Country, region, city, coordinates and autonomous system of public addresses. */
      geoip: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** An .mmdb in MaxMind's City layout (GeoLite2-City, DB-IP City); default the bundled DB-IP City Lite. */
          city: z.string().min(1, 'path to a City .mmdb file, e.g. /var/lib/GeoIP/GeoLite2-City.mmdb').optional(),
          /** An .mmdb in MaxMind's ASN layout (GeoLite2-ASN); default the bundled ip-location-db ASN data. */
          asn: z.string().min(1, 'path to an ASN .mmdb file, e.g. /var/lib/GeoIP/GeoLite2-ASN.mmdb').optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Sigma detection on every event (`vigil serve`, `vigil ingest`). */
  detection: z
    .strictObject({
      /** Vigil's built-in rule pack (config/rules): on unless turned off. */
      builtin: z.boolean().default(true),
      /** Folders (searched recursively for .yml/.yaml) or files of Sigma rules, correlations and filters. */
      rules: z.array(z.string().min(1, 'a folder or file of Sigma rules')).default([]),
      /** Values for `%placeholder%` in rules with the `expand` modifier. */
      placeholders: z.record(z.string(), z.array(z.string())).default({}),
      /** Resources whose access the built-in rules report; each list adds to Vigil's defaults. */
      sensitive: z
        .strictObject({
          /** Linux file paths, wildcards allowed (auditd, osquery file events). */
          paths: z.array(z.string().min(1)).default([]),
          /** Windows object names for 4663 object access events, wildcards allowed. */
          windowsObjects: z.array(z.string().min(1)).default([]),
          /** S3 buckets, or bucket/prefix (CloudTrail data events). */
          s3: z.array(z.string().min(1).regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/, 'an S3 bucket name, optionally followed by /prefix')).default([]),
          /** Cloud Storage buckets, or bucket/prefix (GCP data access audit logs). */
          gcs: z.array(z.string().min(1).regex(/^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](\/.*)?$/, 'a Cloud Storage bucket name, optionally followed by /prefix')).default([]),
        })
        .prefault({}),
      /**
       * When changes are allowed, e.g. `mon-fri 08:00-18:00 Europe/Berlin`; changes the built-in
       * rules detect outside every window raise "Change Outside the Change Window". Empty: off.
       */
      changeWindows: z.array(z.string().min(1)).default([]),
      /** Extra log-source mapping files (same format as config/sigma/logsources.yml); later ones win. */
      logsources: z.array(z.string().min(1)).default([]),
      /** How often rule folders are checked for changes; changed rules apply without a restart. 0: never. */
      reloadSeconds: z.number().int().min(0).max(86_400).default(30),
      /** Threat-intelligence indicators (lists, CSV, STIX 2.1, MISP JSON) matched on every event. */
      intel: z
        .strictObject({
          /** Files or folders of indicators; reloaded on change like rules. */
          paths: z.array(z.string().min(1)).default([]),
          /** Indicators without their own expiry expire this many days after their file was written; 0: never. */
          defaultTtlDays: z.number().int().min(0).max(3650).default(90),
          /** New indicators are also matched against stored events of this many past days; 0: live only. */
          retroDays: z.number().int().min(0).max(3650).default(30),
        })
        .prefault({}),
      /** Malware beacons: periodic connections from an internal host to one external destination. */
      beacons: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** CIDRs of the monitored networks; default RFC 1918 and fc00::/7. */
          internalNetworks: z.array(z.string().min(1)).optional(),
          /** Connections before a pair is scored. */
          minConnections: z.number().int().min(5).max(100_000).default(20),
          /** Sliding window of event time, hours. */
          windowHours: z.number().positive().max(24 * 30).default(24),
          /** Score (0..1) from which a pair alerts. */
          threshold: z.number().min(0).max(1).default(0.8),
          /** Destinations never reported: IPs, CIDRs, domains (and their subdomains). */
          allowlist: z.array(z.string().min(1)).default([]),
        })
        .prefault({}),
    })
    .prefault({}),
  /** What detections become: grouping, budgets and risk (see docs/alerts.md). */
  alerts: z
    .strictObject({
      /** Detections of one rule for the same entities within this many minutes (event time) join one alert; 0: every detection is its own alert. */
      groupWindowMinutes: z.number().int().min(0).max(7 * 24 * 60).default(60),
      budget: z
        .strictObject({
          /** New alerts a rule may raise per UTC day before it is throttled and flagged noisy; 0: no limit. */
          perRuleDaily: z.number().int().min(0).max(10_000_000).default(500),
          /** Budgets of particular rules, by rule id. */
          rules: z.record(z.string().min(1), z.number().int().min(0)).default({}),
        })
        .prefault({}),
      /** Context added to each new alert (docs/alerts.md). */
      enrichment: z
        .strictObject({
          /** Asset inventory: a CSV or JSON file of hosts (name or ip, plus owner, criticality, department…). */
          assets: z.string().min(1).optional(),
          /** User directory: a CSV or JSON file of users (user name or email, plus department, manager…). */
          users: z.string().min(1).optional(),
          /** Events within ± this many minutes on the alert's hosts and users are listed with it; 0: none. */
          surroundingMinutes: z.number().int().min(0).max(24 * 60).default(10),
          /** First-seen and prevalence of each entity (a count over stored events per new alert). */
          prevalence: z.boolean().default(true),
        })
        .prefault({}),
      risk: z
        .strictObject({
          enabled: z.boolean().default(true),
          /** Points within the window at which an entity raises its own alert. */
          threshold: z.number().int().positive().max(1_000_000).default(100),
          windowHours: z.number().positive().max(24 * 30).default(24),
          level: z.enum(['low', 'medium', 'high', 'critical']).default('high'),
          /** Points a detection adds, by its level; each rule counts once per entity and window. */
          points: z
            .strictObject({
              informational: z.number().min(0).default(1),
              low: z.number().min(0).default(5),
              medium: z.number().min(0).default(15),
              high: z.number().min(0).default(40),
              critical: z.number().min(0).default(80),
            })
            .prefault({}),
          /** Entity fields that collect risk. */
          fields: z.array(z.string().min(1)).default(['user.name', 'host.name', 'source.ip']),
        })
        .prefault({}),
    })
    .prefault({}),
  /**
   * How long events are kept (docs/history.md): days per tenant, source kind and format; the most
   * specific matching rule decides, 0 keeps forever. Alerts and cases are never deleted by it.
   */
  retention: z
    .strictObject({
      /** Days to keep events no rule covers; 0 (the default) keeps them forever. */
      defaultDays: z.number().int().min(0).max(36_500).default(0),
      rules: z
        .array(
          z
            .strictObject({
              tenant: z.string().min(1).optional(),
              sourceKind: z.enum(SOURCE_KINDS).optional(),
              format: z.enum(EVENT_FORMATS).optional(),
              days: z.number().int().min(0).max(36_500),
            })
            .refine((r) => r.tenant !== undefined || r.sourceKind !== undefined || r.format !== undefined, 'a rule names a tenant, a sourceKind or a format (use defaultDays for everything else)'),
        )
        .default([])
        .refine(
          (rules) => new Set(rules.map((r) => `${r.tenant ?? '*'}|${r.sourceKind ?? '*'}|${r.format ?? '*'}`)).size === rules.length,
          'two rules name the same tenant, sourceKind and format: keep one',
        ),
      /** Minutes between enforcements; at most 60, so expiry is at most an hour late. */
      intervalMinutes: z.number().int().min(1).max(60).default(60),
    })
    .prefault({}),
  /** Saved searches run on a schedule that raise an alert when they match (docs/alerts.md). */
  hunts: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)'),
        query: z.string().min(1).max(10_000),
        every: z.string().regex(/^\d{1,6}[smhd]$/, 'a duration such as 15m, 1h or 1d'),
        /** The window of event time each run searches; default: `every`. */
        lookback: z.string().regex(/^\d{1,6}[smhd]$/, 'a duration such as 15m, 1h or 1d').optional(),
        minCount: z.number().int().min(1).default(1),
        level: z.enum(['informational', 'low', 'medium', 'high', 'critical']).default('medium'),
        description: z.string().max(2000).default(''),
        author: z.string().min(1).max(200).default('Vigil configuration'),
        tags: z.array(z.string().min(1)).default([]),
      }),
    )
    .default([]),
  /**
   * Notifications (docs/notifications.md): checked by src/actions/notify/notify-config.ts when
   * the pipeline opens, so this file does not depend on the actions module.
   */
  notifications: z.record(z.string(), z.unknown()).default({}),
  /** Guarded automated response (docs/response.md). */
  response: z
    .strictObject({
      /** Files or folders of playbooks (YAML). */
      playbooks: z.array(z.string().min(1)).default([]),
      /** Every playbook only records what it would do. */
      dryRun: z.boolean().default(false),
    })
    .prefault({}),
  scaleOut: scaleOutSchema.optional(),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type VigilConfig = z.infer<typeof configSchema>;
export type TlsFiles = z.infer<typeof tlsFiles>;

function formatIssues(error: z.ZodError, file: string): string {
  return error.issues
    .map((issue) => {
      const key = issue.path.length ? issue.path.join('.') : '(top level)';
      let hint = issue.message;
      if (issue.code === 'unrecognized_keys') hint = `unknown key(s) ${issue.keys.join(', ')}: remove or fix the spelling (see docs/configuration.md)`;
      return `  ${file}: ${key}: ${hint}`;
    })
    .join('\n');
}

/** Validates a parsed config object; relative paths resolve against `baseDir`. */
export function parseConfig(raw: unknown, file = 'vigil.yaml', baseDir = process.cwd()): VigilConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new VigilError('config-invalid', `invalid configuration:\n${formatIssues(result.error, file)}`, { where: file });
  }
  const config = result.data;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  config.data = abs(config.data);
  for (const file of config.files) {
    // Patterns are matched in the last segment only; the folder is resolved like any path.
    file.path = abs(file.path);
  }
  config.detection.rules = config.detection.rules.map(abs);
  config.detection.logsources = config.detection.logsources.map(abs);
  config.detection.intel.paths = config.detection.intel.paths.map(abs);
  config.response.playbooks = config.response.playbooks.map(abs);
  if (config.alerts.enrichment.assets !== undefined) config.alerts.enrichment.assets = abs(config.alerts.enrichment.assets);
  if (config.alerts.enrichment.users !== undefined) config.alerts.enrichment.users = abs(config.alerts.enrichment.users);
  if (config.enrich.geoip.city) config.enrich.geoip.city = abs(config.enrich.geoip.city);
  if (config.enrich.geoip.asn) config.enrich.geoip.asn = abs(config.enrich.geoip.asn);
  const scaleOut = config.scaleOut;
  if (scaleOut) {
    if (scaleOut.clickhouse.path !== undefined) scaleOut.clickhouse.path = abs(scaleOut.clickhouse.path);
    if (scaleOut.clickhouse.chainKeyFile !== undefined) scaleOut.clickhouse.chainKeyFile = abs(scaleOut.clickhouse.chainKeyFile);
    if (scaleOut.nats.credentials !== undefined) scaleOut.nats.credentials = abs(scaleOut.nats.credentials);
    const natsTlsFiles = scaleOut.nats.tls;
    if (natsTlsFiles) {
      if (natsTlsFiles.ca !== undefined) natsTlsFiles.ca = abs(natsTlsFiles.ca);
      if (natsTlsFiles.cert !== undefined) natsTlsFiles.cert = abs(natsTlsFiles.cert);
      if (natsTlsFiles.key !== undefined) natsTlsFiles.key = abs(natsTlsFiles.key);
    }
  }
  for (const tls of [config.http.tls, config.syslog.tls, ...config.syslog.inputs.map((i) => i.tls)]) {
    if (!tls) continue;
    tls.cert = abs(tls.cert);
    tls.key = abs(tls.key);
    if (tls.ca) tls.ca = abs(tls.ca);
  }
  return config;
}

export function loadConfigFile(path: string): VigilConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new VigilError('config-invalid', `cannot read config file ${path}: ${(e as Error).message}`, { where: path, cause: e });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { uniqueKeys: true });
  } catch (e) {
    throw new VigilError('config-invalid', `${path} is not valid YAML: ${(e as Error).message}`, { where: path, cause: e });
  }
  return parseConfig(raw, path, dirname(resolve(path)));
}
