import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger.ts';

/** ACL 2.0's user: a super user may do anything; a normal user only what its policies grant. */
export type UserType = 'Super' | 'Normal';
export type UserStatus = 'enable' | 'disable';
export interface User {
  username: string;
  password: string;
  userType: UserType;
  userStatus: UserStatus;
}

export const USERS_FILE = 'users.json';
const RELOAD_POLL_MS = 1000;

/** Parses users.json (an array of users); throws with what is wrong. */
export function parseUsers(text: string): User[] {
  const raw: unknown = JSON.parse(text);
  if (!Array.isArray(raw)) throw new Error('want a JSON array of users');
  return raw.map((u: Record<string, unknown>, i) => {
    if (typeof u?.username !== 'string' || u.username === '') throw new Error(`user ${i} has no username`);
    if (typeof u.password !== 'string') throw new Error(`user ${u.username} has no password`);
    const userType = u.userType ?? 'Normal';
    if (userType !== 'Super' && userType !== 'Normal') throw new Error(`user ${u.username}: userType must be Super or Normal`);
    const userStatus = u.userStatus ?? 'enable';
    if (userStatus !== 'enable' && userStatus !== 'disable') throw new Error(`user ${u.username}: userStatus must be enable or disable`);
    return { username: u.username, password: u.password, userType, userStatus };
  });
}

/**
 * The users a server knows: users.json in the auth folder (re-read when it changes, so no restart is needed),
 * plus the configured initial super user, which always exists.
 */
export class UserStore {
  private users = new Map<string, User>();
  private readonly file: string | undefined;
  private readonly initial: User | undefined;
  private readonly log: Logger;

  constructor(dir: string | undefined, initial: { username: string; password: string } | undefined, log: Logger) {
    this.file = dir ? path.join(dir, USERS_FILE) : undefined;
    this.initial = initial && { ...initial, userType: 'Super', userStatus: 'enable' };
    this.log = log;
    this.reload();
    if (this.file) fs.watchFile(this.file, { interval: RELOAD_POLL_MS, persistent: false }, () => this.reload());
  }

  get(username: string): User | undefined {
    return this.users.get(username);
  }

  list(): User[] {
    return [...this.users.values()];
  }

  /** Writes the users back (initial user excluded) atomically; the watcher then sees the same content. */
  save(users: readonly User[]): void {
    if (!this.file) throw new Error('users cannot be stored: this server has no authConfigPath');
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(users.filter((u) => u.username !== this.initial?.username), null, 2) + '\n');
    fs.renameSync(tmp, this.file);
    this.reload();
  }

  close(): void {
    if (this.file) fs.unwatchFile(this.file);
  }

  /** A file that does not parse keeps the users read before, so a half-edited file never locks everyone out. */
  private reload(): void {
    const next = new Map<string, User>();
    if (this.file && fs.existsSync(this.file)) {
      try {
        for (const u of parseUsers(fs.readFileSync(this.file, 'utf8'))) next.set(u.username, u);
      } catch (err) {
        this.log.error(`${this.file} ignored, keeping the users read before: ${(err as Error).message}`);
        return;
      }
    }
    if (this.initial) next.set(this.initial.username, this.initial);
    this.users = next;
  }
}
