/**
 * Managing console users, for the users API and `vigil user`: create with a given or generated
 * password (always to be changed at first login), change role, disable, reset the password,
 * delete. The rules that keep a tenant manageable: an admin cannot delete or disable itself,
 * and the last enabled admin of a tenant cannot be demoted, disabled or deleted. Changes run
 * one at a time, so two requests cannot each remove "the other" last admin.
 *
 * Whatever ends a user's access (disable, delete, password reset or change) ends its sessions
 * in the store and in this server's cache at once.
 */
import type { SessionStore, UserRecord, UserStore } from '../../core/accounts.js';
import type { UserRole } from '../../core/store.js';
import { USER_ROLES } from '../../core/store.js';
import { VigilError } from '../../core/errors.js';
import { newId } from '../../core/ids.js';
import { generatePassword, passwordProblem, type PasswordHasher } from './password-hash.js';
import type { Sessions } from './sessions.js';

/** A user as the API shows it: never the password hash. */
export interface UserView {
  readonly id: string;
  readonly username: string;
  readonly role: UserRole;
  readonly tenant: string;
  readonly mustChangePassword: boolean;
  readonly created: number;
  readonly lastLogin: number | null;
  readonly disabled: boolean;
}

export function userView(u: UserRecord): UserView {
  return { id: u.id, username: u.username, role: u.role, tenant: u.tenant, mustChangePassword: u.mustChangePassword, created: u.created, lastLogin: u.lastLogin, disabled: u.disabled };
}

/** Lower-case letters, digits and . _ @ -, starting with a letter or digit, at most 64. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/** The stored form of a username (lower-case); a bad-request error naming the rule otherwise. */
export function normaliseUsername(raw: unknown, where = 'username'): string {
  const name = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (!USERNAME_PATTERN.test(name)) {
    throw new VigilError('bad-request', 'a username is 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit', { where });
  }
  return name;
}

export function userRole(raw: unknown, where = 'role'): UserRole {
  if (typeof raw === 'string' && (USER_ROLES as readonly string[]).includes(raw)) return raw as UserRole;
  throw new VigilError('bad-request', `role is one of ${USER_ROLES.join(', ')}`, { where });
}

/** Who asks for a change: a user (self-protection applies) or a token/the command line (it does not). */
export interface Actor {
  readonly userId?: string | undefined;
}

export interface UserUpdate {
  readonly role?: UserRole;
  readonly disabled?: boolean;
}

export class UserAccounts {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: UserStore & SessionStore,
    private readonly hasher: PasswordHasher,
    /** This server's session cache; absent on the command line. */
    private readonly sessions?: Sessions,
  ) {}

  async list(tenant: string): Promise<UserRecord[]> {
    return (await this.store.listUsers()).filter((u) => u.tenant === tenant);
  }

  /** The user of this id in this tenant; not-found otherwise (other tenants' users do not exist here). */
  async get(tenant: string, id: string): Promise<UserRecord> {
    const user = await this.store.getUser(id);
    if (user === undefined || user.tenant !== tenant) throw new VigilError('not-found', `no user with id ${id}; list them with GET /api/v1/users`, { where: 'path id' });
    return user;
  }

  /** Creates a user; `password` is the generated one when none was given. */
  create(input: { username: unknown; role: unknown; tenant: string; password?: unknown }): Promise<{ user: UserRecord; password?: string }> {
    const username = normaliseUsername(input.username);
    const role = userRole(input.role);
    let given: string | undefined;
    if (input.password !== undefined) {
      if (typeof input.password !== 'string') throw new VigilError('bad-request', 'password must be text', { where: 'password' });
      const problem = passwordProblem(input.password);
      if (problem !== undefined) throw new VigilError('bad-request', problem.replace('the new password', 'password'), { where: 'password' });
      given = input.password;
    }
    return this.serial(async () => {
      if (await this.store.findUserByName(username)) throw new VigilError('conflict', `a user named "${username}" exists already; pick another name`, { where: 'username' });
      const password = given ?? generatePassword();
      const user: UserRecord = {
        id: newId(),
        username,
        role,
        tenant: input.tenant,
        passwordHash: await this.hasher.hash(password),
        mustChangePassword: true,
        created: Date.now(),
        lastLogin: null,
        disabled: false,
      };
      await this.store.createUser(user);
      return given === undefined ? { user, password } : { user };
    });
  }

  update(actor: Actor, tenant: string, id: string, change: UserUpdate): Promise<UserRecord> {
    return this.serial(async () => {
      const user = await this.get(tenant, id);
      if (change.disabled === true && actor.userId === id) throw new VigilError('conflict', 'you cannot disable your own account; ask another admin', { where: 'disabled' });
      const losesAdmin = user.role === 'admin' && !user.disabled && ((change.role !== undefined && change.role !== 'admin') || change.disabled === true);
      if (losesAdmin) await this.keepAnAdmin(tenant, id, change.disabled === true ? 'disable' : 'demote');
      const updated = await this.store.updateUser(id, change);
      if (updated === undefined) throw new VigilError('not-found', `no user with id ${id}`, { where: 'path id' });
      if (change.disabled === true) await this.endSessions(id);
      else this.sessions?.forgetUser(id);
      return updated;
    });
  }

  /** A new random password the user must change at first login; the user's sessions end. */
  resetPassword(actor: Actor, tenant: string, id: string): Promise<{ user: UserRecord; password: string }> {
    return this.serial(async () => {
      await this.get(tenant, id);
      if (actor.userId === id) throw new VigilError('conflict', 'change your own password with POST /api/v1/session/password', { where: 'path id' });
      const password = generatePassword();
      const updated = await this.store.updateUser(id, { passwordHash: await this.hasher.hash(password), mustChangePassword: true });
      if (updated === undefined) throw new VigilError('not-found', `no user with id ${id}`, { where: 'path id' });
      await this.endSessions(id);
      return { user: updated, password };
    });
  }

  delete(actor: Actor, tenant: string, id: string): Promise<UserRecord> {
    return this.serial(async () => {
      const user = await this.get(tenant, id);
      if (actor.userId === id) throw new VigilError('conflict', 'you cannot delete your own account; ask another admin', { where: 'path id' });
      if (user.role === 'admin' && !user.disabled) await this.keepAnAdmin(tenant, id, 'delete');
      await this.store.deleteUser(id);
      this.sessions?.forgetUser(id);
      return user;
    });
  }

  /**
   * The user's own change: `current` must be its password; `next` follows the password rules
   * and differs from it. Every other session of the user ends; `keep` (the caller's) stays.
   * Undefined when `current` is wrong.
   */
  changeOwnPassword(userId: string, current: string, next: string, keep?: string): Promise<UserRecord | undefined> {
    const problem = passwordProblem(next);
    if (problem !== undefined) return Promise.reject(new VigilError('bad-request', problem, { where: 'new' }));
    if (next === current) return Promise.reject(new VigilError('bad-request', 'the new password must differ from the current one', { where: 'new' }));
    return this.serial(async () => {
      const user = await this.store.getUser(userId);
      if (user === undefined || user.disabled) return undefined;
      if (!(await this.hasher.verify(current, user.passwordHash))) return undefined;
      const updated = await this.store.updateUser(userId, { passwordHash: await this.hasher.hash(next), mustChangePassword: false });
      await this.endSessions(userId, keep);
      return updated;
    });
  }

  private async keepAnAdmin(tenant: string, id: string, what: 'demote' | 'disable' | 'delete'): Promise<void> {
    const others = (await this.list(tenant)).filter((u) => u.id !== id && u.role === 'admin' && !u.disabled);
    if (others.length === 0) {
      throw new VigilError('conflict', `cannot ${what} the last admin of tenant "${tenant}"; make another user admin first`, { where: 'path id' });
    }
  }

  private async endSessions(userId: string, keep?: string): Promise<void> {
    if (this.sessions) await this.sessions.endUserSessions(userId, keep);
    else await this.store.deleteUserSessions(userId, keep);
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

export const INITIAL_ADMIN = 'admin';

/**
 * First run: when there is no user at all, a user `admin` with a random password that must be
 * changed at first login. `write` puts the password where the operator can read it (the data
 * folder, mode 0600) before the user exists, so a failed write leaves no unusable account.
 */
export async function ensureInitialAdmin(store: UserStore & SessionStore, hasher: PasswordHasher, tenant: string, write: (password: string) => void): Promise<boolean> {
  if ((await store.listUsers()).length > 0) return false;
  const password = generatePassword();
  write(password);
  await new UserAccounts(store, hasher).create({ username: INITIAL_ADMIN, role: 'admin', tenant, password });
  return true;
}
