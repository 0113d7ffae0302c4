/**
 * Console accounts: local users with a role in one tenant, and their sessions. Passwords and
 * session ids are never stored: a user holds the scrypt hash of its password (src/api/auth
 * password-hash.ts), a session the SHA-256 of its id.
 */
import type { UserRole } from './store.js';

export interface UserRecord {
  readonly id: string;
  /** Lower-case, unique across tenants (login names no tenant). */
  readonly username: string;
  readonly role: UserRole;
  readonly tenant: string;
  /** `scrypt$N$r$p$salt$hash`: parameters and salt travel with the hash, so they can be raised later. */
  readonly passwordHash: string;
  readonly mustChangePassword: boolean;
  readonly created: number;
  readonly lastLogin: number | null;
  readonly disabled: boolean;
}

/** What an update may change; absent keys stay as they are. */
export interface UserChange {
  readonly role?: UserRole;
  readonly disabled?: boolean;
  readonly passwordHash?: string;
  readonly mustChangePassword?: boolean;
  readonly lastLogin?: number;
}

export interface SessionRecord {
  /** SHA-256 of the session id, hex. The id itself lives only in the browser's cookie. */
  readonly idHash: string;
  readonly userId: string;
  readonly created: number;
  /** Last request seen (written at most once a minute, see session-cache.ts). */
  readonly lastSeen: number;
  /** Absolute end of the session, whatever its activity. */
  readonly expires: number;
  /** The address the session was opened from. */
  readonly remote: string | null;
}

export interface UserStore {
  /** Refuses a second user with the same id or username. */
  createUser(record: UserRecord): Promise<void>;
  getUser(id: string): Promise<UserRecord | undefined>;
  findUserByName(username: string): Promise<UserRecord | undefined>;
  /** Every tenant's users, oldest first. */
  listUsers(): Promise<readonly UserRecord[]>;
  /** The user after the change; undefined when there is no such user. */
  updateUser(id: string, change: UserChange): Promise<UserRecord | undefined>;
  /** Deletes the user and its sessions; false when there was none. */
  deleteUser(id: string): Promise<boolean>;
}

export interface SessionStore {
  createSession(record: SessionRecord): Promise<void>;
  findSession(idHash: string): Promise<SessionRecord | undefined>;
  touchSession(idHash: string, lastSeen: number): Promise<void>;
  deleteSession(idHash: string): Promise<boolean>;
  /** Ends every session of the user but `keep` (the one changing its password); how many ended. */
  deleteUserSessions(userId: string, keep?: string): Promise<number>;
  /** Ends sessions past their absolute end at `now`, or idle since before `idleSince`; how many. */
  deleteExpiredSessions(now: number, idleSince: number): Promise<number>;
}
