/**
 * What lives in a data folder, and the small files through which the CLI finds a running
 * server: `server.json` (pid and addresses, written once the server listens) and
 * `admin-token` (the first-run admin token, mode 0600); `initial-admin-password` (the first-run
 * console password of user `admin`, mode 0600, removed once changed); and `chain-key`, the key
 * that signs the event chain's checkpoints and retention runs (docs/history.md).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync, renameSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { VigilError } from '../core/errors.js';

export interface DataFolder {
  readonly root: string;
  readonly database: string;
  readonly eventLog: string;
  readonly adminToken: string;
  /** The first console user's password, written on first run (mode 0600) and removed once changed. */
  readonly initialAdminPassword: string;
  readonly serverInfo: string;
  /** Events the store refused as malformed, one JSON object per line with the reason. */
  readonly deadLetter: string;
  /** Committed read offsets of followed files. */
  readonly fileOffsets: string;
  /** What behaviour rules have learned (first-seen values, usual hours…), saved every minute. */
  readonly behaviourState: string;
  /** Which threat-intelligence indicators have been retro-hunted in stored events. */
  readonly intelRetroState: string;
  /** Automated response runs: the audit trail, and what is still to revert. */
  readonly responseJournal: string;
  /** 32 random bytes (mode 0600) that sign chain checkpoints and retention runs. */
  readonly chainKey: string;
  /** Rule files imported through the console or the API (`POST /api/v1/rules/import`). */
  readonly importedRules: string;
}

export function dataFolder(root: string): DataFolder {
  return {
    root,
    database: join(root, 'events.duckdb'),
    eventLog: join(root, 'event-log'),
    adminToken: join(root, 'admin-token'),
    initialAdminPassword: join(root, 'initial-admin-password'),
    serverInfo: join(root, 'server.json'),
    deadLetter: join(root, 'dead-letter.ndjson'),
    fileOffsets: join(root, 'file-offsets.json'),
    behaviourState: join(root, 'behaviour-state.json'),
    intelRetroState: join(root, 'intel-retro-hunted.json'),
    responseJournal: join(root, 'response-runs.ndjson'),
    chainKey: join(root, 'chain-key'),
    importedRules: join(root, 'rules', 'imported'),
  };
}

export function ensureDataFolder(folder: DataFolder): void {
  mkdirSync(folder.root, { recursive: true, mode: 0o700 });
}

export interface SyslogAddressText {
  readonly udp?: string;
  readonly tcp?: string;
  readonly tls?: string;
}

export interface ServerInfo {
  readonly pid: number;
  readonly http: string;
  /** PEM CA for the HTTP listener when it uses TLS, so the CLI can verify it. */
  readonly httpCa?: string;
  readonly syslog: SyslogAddressText;
  /** The extra syslog inputs (`syslog.inputs`), by name. */
  readonly syslogInputs?: Readonly<Record<string, SyslogAddressText>>;
  readonly started: string;
}

/** Written atomically (temp file + rename) so a reader never sees half a file. */
export function writeServerInfo(folder: DataFolder, info: ServerInfo): void {
  const tmp = `${folder.serverInfo}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, folder.serverInfo);
}

/** The filesystem is out of space or quota: a condition that passes, not a fault of Vigil's. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export interface ServerInfoLog {
  warn(details: object, message: string): void;
  info(details: object, message: string): void;
}

/**
 * Writes `server.json`, and when the disk is full keeps trying every `retryMs` instead of
 * failing the start: a server restarted on a full disk still runs (ingest answers 503 until
 * space returns, as it does when the disk fills while running), and the CLI finds it once the
 * file could be written. A stale file from an earlier run is removed meanwhile, so nobody is
 * sent to old ports. Returns a function that stops the retries.
 */
export function publishServerInfo(folder: DataFolder, info: ServerInfo, log: ServerInfoLog, retryMs = 5000): () => void {
  const attempt = (): boolean => {
    try {
      writeServerInfo(folder, info);
      return true;
    } catch (error) {
      if (!isDiskFull(error)) throw error;
      rmSync(`${folder.serverInfo}.tmp`, { force: true });
      return false;
    }
  };
  if (attempt()) return () => undefined;
  removeServerInfo(folder);
  log.warn(
    { path: folder.serverInfo, retryMs },
    `cannot write ${folder.serverInfo}: the disk is full; Vigil runs and answers 503 to ingest until space returns; free space on the filesystem of ${folder.root} (the CLI finds this server once the file is written)`,
  );
  const timer = setInterval(() => {
    try {
      if (!attempt()) return;
      clearInterval(timer);
      log.info({ path: folder.serverInfo }, 'disk space returned: server.json written');
    } catch (error) {
      clearInterval(timer);
      log.warn({ path: folder.serverInfo, error: (error as Error).message }, 'cannot write server.json; the CLI will not find this server');
    }
  }, retryMs);
  timer.unref();
  return () => clearInterval(timer);
}

export function removeServerInfo(folder: DataFolder): void {
  rmSync(folder.serverInfo, { force: true });
}

/** The running server for this folder, if its process is still alive. */
export function readLiveServerInfo(folder: DataFolder): ServerInfo | undefined {
  let info: ServerInfo;
  try {
    info = JSON.parse(readFileSync(folder.serverInfo, 'utf8')) as ServerInfo;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(info.pid) || typeof info.http !== 'string') return undefined;
  try {
    process.kill(info.pid, 0);
  } catch (e) {
    // EPERM means it exists but belongs to someone else: still alive.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return info;
}

export function writeAdminToken(folder: DataFolder, secret: string): void {
  writeFileSync(folder.adminToken, secret + '\n', { mode: 0o600 });
  chmodSync(folder.adminToken, 0o600);
}

export function writeInitialAdminPassword(folder: DataFolder, password: string): void {
  writeFileSync(folder.initialAdminPassword, password + '\n', { mode: 0o600 });
  // writeFileSync's mode applies only to a new file: an old one keeps its bits otherwise.
  chmodSync(folder.initialAdminPassword, 0o600);
}

export function readAdminToken(folder: DataFolder): string | undefined {
  try {
    return readFileSync(folder.adminToken, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

const CHAIN_KEY_BYTES = 32;

/**
 * The chain key, or undefined when the folder has none (verify then checks hashes but not
 * signatures, and says so). A key of the wrong size is an error: it was damaged or replaced.
 */
export function readChainKey(folder: DataFolder): Uint8Array | undefined {
  let key: Buffer;
  try {
    key = readFileSync(folder.chainKey);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new VigilError('store-unavailable', `cannot read the chain key ${folder.chainKey}: ${(e as Error).message}; run as the user that owns the data folder`, { where: folder.chainKey, cause: e });
  }
  if (key.length !== CHAIN_KEY_BYTES) {
    throw new VigilError('store-unavailable', `the chain key ${folder.chainKey} has ${key.length} bytes instead of ${CHAIN_KEY_BYTES}: it was damaged or replaced; restore it from a backup (a new key cannot vouch for existing checkpoints)`, { where: folder.chainKey });
  }
  return key;
}

/**
 * The chain key, created on first use. Every process that writes to the store passes it, so
 * every checkpoint is signed: keep it out of reach of whoever could edit the database, and
 * back it up (without it, existing signatures cannot be checked).
 */
export function ensureChainKey(folder: DataFolder): Uint8Array {
  const existing = readChainKey(folder);
  if (existing !== undefined) return existing;
  try {
    // 'wx': two processes starting at once cannot both create one.
    writeFileSync(folder.chainKey, randomBytes(CHAIN_KEY_BYTES), { mode: 0o600, flag: 'wx' });
    chmodSync(folder.chainKey, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new VigilError('store-unavailable', `cannot create the chain key ${folder.chainKey}: ${(e as Error).message}`, { where: folder.chainKey, cause: e });
    }
  }
  return readChainKey(folder) as Uint8Array;
}
