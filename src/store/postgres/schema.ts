/**
 * The PostgreSQL schema of the state store (docs/scaling.md, "PostgreSQL state") and its
 * migrations. Append-only: a released migration is never edited; a change is a new one.
 *
 * Choices:
 * - Times are BIGINT epoch ms, as in DuckDB and the records: no conversion either way.
 * - Text columns are `COLLATE "C"`: ordering and comparison by code point, as DuckDB does, and
 *   the same on every server whatever its locale (an `id DESC` tie-break or an audit page
 *   boundary must not depend on glibc's collation tables). Case-insensitive matching uses
 *   `lower()` under a Unicode collation picked at open (postgres-state-store.ts).
 * - JSON is `json`, not `jsonb`: `json` keeps the text as written, so an alert's entities come
 *   back in the order the rule named them (the console shows the first three) and numbers keep
 *   their spelling. No query filters inside these documents, so jsonb's indexes would buy
 *   nothing; the console summary walks `details.entities` with json functions.
 * - Indexes follow the queries the API and the console run (named after them below); tables
 *   that stay small (tokens, users, rule switches) are read by key.
 */

export interface PostgresMigration {
  readonly version: number;
  /** What the migration does, recorded in schema_migrations. */
  readonly name: string;
  readonly statements: readonly string[];
}

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'state tables: tokens, alerts, suppressions, rule days, cases, rule switches, users, sessions, audit log',
    statements: [
      `CREATE TABLE tokens (
        id text COLLATE "C" PRIMARY KEY,
        name text COLLATE "C" NOT NULL,
        role text COLLATE "C" NOT NULL,
        tenant text COLLATE "C" NOT NULL,
        hash text COLLATE "C" NOT NULL UNIQUE,
        created bigint NOT NULL,
        revoked boolean NOT NULL DEFAULT false
      )`,
      // Every API request with a token looks it up by hash: the UNIQUE constraint is that index.
      `CREATE TABLE alerts (
        id text COLLATE "C" PRIMARY KEY,
        tenant text COLLATE "C" NOT NULL,
        created bigint NOT NULL,
        rule_id text COLLATE "C" NOT NULL,
        rule_title text COLLATE "C" NOT NULL,
        rule_author text COLLATE "C" NOT NULL,
        level text COLLATE "C" NOT NULL,
        event_ids text[] COLLATE "C" NOT NULL,
        state text COLLATE "C" NOT NULL,
        details json NOT NULL,
        "count" bigint NOT NULL DEFAULT 1,
        first_seen bigint NOT NULL,
        last_seen bigint NOT NULL,
        updated bigint NOT NULL,
        group_key text COLLATE "C" NOT NULL DEFAULT '',
        assignee text COLLATE "C",
        verdict text COLLATE "C",
        history json NOT NULL
      )`,
      // The alert queue (GET /api/v1/alerts, the console's alerts page): a tenant's alerts, most
      // recently active first, read in index order and stopped at the limit; filters on state,
      // rule, level or assignee are checked on the rows read.
      `CREATE INDEX alerts_queue ON alerts (tenant, last_seen DESC, created DESC, id DESC)`,
      // The console overview sums a tenant's alerts created in a range.
      `CREATE INDEX alerts_created ON alerts (tenant, created)`,
      // The queue's default view (state=open) and the overview's open count: only alerts not
      // closed, which stay few however many closed ones are kept.
      `CREATE INDEX alerts_open_queue ON alerts (tenant, last_seen DESC, created DESC, id DESC) WHERE state <> 'closed'`,
      // The intake's grouping index at start (openAlertGroups).
      `CREATE INDEX alerts_open_groups ON alerts (last_seen) WHERE state <> 'closed' AND group_key <> ''`,
      `CREATE TABLE suppressions (
        id text COLLATE "C" PRIMARY KEY,
        tenant text COLLATE "C" NOT NULL,
        created bigint NOT NULL,
        author text COLLATE "C" NOT NULL,
        reason text COLLATE "C" NOT NULL,
        rule_id text COLLATE "C",
        fields json NOT NULL,
        expires bigint,
        hits bigint NOT NULL DEFAULT 0
      )`,
      `CREATE INDEX suppressions_by_tenant ON suppressions (tenant, created DESC, id)`,
      `CREATE TABLE rule_days (
        tenant text COLLATE "C" NOT NULL,
        rule_id text COLLATE "C" NOT NULL,
        day bigint NOT NULL,
        raised bigint NOT NULL DEFAULT 0,
        grouped bigint NOT NULL DEFAULT 0,
        suppressed bigint NOT NULL DEFAULT 0,
        throttled bigint NOT NULL DEFAULT 0,
        PRIMARY KEY (tenant, rule_id, day)
      )`,
      // Rule budgets and figures read every tenant's days from a given day on.
      `CREATE INDEX rule_days_by_day ON rule_days (day)`,
      // A case is small and read whole: one JSON record beside the columns lists sort by.
      `CREATE TABLE cases (
        id text COLLATE "C" PRIMARY KEY,
        tenant text COLLATE "C" NOT NULL,
        updated bigint NOT NULL,
        record json NOT NULL
      )`,
      `CREATE INDEX cases_by_tenant ON cases (tenant, updated DESC, id DESC)`,
      `CREATE TABLE rule_states (
        tenant text COLLATE "C" NOT NULL,
        rule_id text COLLATE "C" NOT NULL,
        enabled boolean NOT NULL,
        changed bigint NOT NULL,
        changed_by text COLLATE "C" NOT NULL,
        PRIMARY KEY (tenant, rule_id)
      )`,
      `CREATE TABLE users (
        id text COLLATE "C" PRIMARY KEY,
        username text COLLATE "C" NOT NULL UNIQUE,
        role text COLLATE "C" NOT NULL,
        tenant text COLLATE "C" NOT NULL,
        password_hash text COLLATE "C" NOT NULL,
        must_change_password boolean NOT NULL,
        created bigint NOT NULL,
        last_login bigint,
        disabled boolean NOT NULL DEFAULT false
      )`,
      // Every console request looks its session up by the hash of its id (the primary key).
      // No foreign key to users: DuckDB has none either, and deleteUser removes the sessions.
      `CREATE TABLE sessions (
        id_hash text COLLATE "C" PRIMARY KEY,
        user_id text COLLATE "C" NOT NULL,
        created bigint NOT NULL,
        last_seen bigint NOT NULL,
        expires bigint NOT NULL,
        remote text COLLATE "C"
      )`,
      // Logging a user out everywhere (password change, deletion) finds its sessions by user.
      `CREATE INDEX sessions_by_user ON sessions (user_id)`,
      // Ids are not unique in DuckDB's audit log either: the log records, it does not refuse.
      `CREATE TABLE audit_log (
        id text COLLATE "C" NOT NULL,
        time bigint NOT NULL,
        tenant text COLLATE "C" NOT NULL,
        actor text COLLATE "C" NOT NULL,
        actor_kind text COLLATE "C" NOT NULL,
        role text COLLATE "C" NOT NULL,
        action text COLLATE "C" NOT NULL,
        target text COLLATE "C",
        outcome text COLLATE "C" NOT NULL,
        remote text COLLATE "C",
        details json NOT NULL
      )`,
      // The audit page reads a tenant's trail newest first, page by page on (time, id).
      `CREATE INDEX audit_log_pages ON audit_log (tenant, time DESC, id DESC)`,
    ],
  },
  {
    version: 2,
    name: 'partitioned detection: partition checkpoints, delivered detection ids',
    statements: [
      // One row per detection partition: the windows and baselines it holds and the position in
      // its log they cover (docs/scaling.md, "Detection workers"). Written whole every few seconds.
      `CREATE TABLE detect_checkpoints (
        partition integer PRIMARY KEY,
        checkpoint text NOT NULL,
        saved bigint NOT NULL
      )`,
      // Ids of detections the alert intake has decided on, written in the intake's transaction:
      // a detection delivered again after a worker restart is recognised and dropped.
      `CREATE TABLE detect_deliveries (
        id text COLLATE "C" PRIMARY KEY,
        delivered bigint NOT NULL
      )`,
      // Old ids are pruned by age.
      `CREATE INDEX detect_deliveries_by_age ON detect_deliveries (delivered)`,
    ],
  },
];

export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.at(-1)!.version;
