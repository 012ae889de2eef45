import path from 'node:path';
import type { Logger } from '../logging/logger.ts';
import { WatchedJsonFile } from './watched-json-file.ts';

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

/** The users a server knows: users.json in the auth folder (re-read on change) plus the initial super user. */
export class UserStore {
  private readonly file: WatchedJsonFile<User[]>;
  private readonly initial: User | undefined;

  constructor(dir: string | undefined, initial: { username: string; password: string } | undefined, log: Logger) {
    this.file = new WatchedJsonFile(dir && path.join(dir, USERS_FILE), parseUsers, [], log);
    this.initial = initial && { ...initial, userType: 'Super', userStatus: 'enable' };
  }

  get(username: string): User | undefined {
    if (username === this.initial?.username) return this.initial;
    return this.file.value.find((u) => u.username === username);
  }

  list(): User[] {
    return [...(this.initial ? [this.initial] : []), ...this.file.value.filter((u) => u.username !== this.initial?.username)];
  }

  /** The initial super user (initAuthenticationUser): it lives in the config, not in users.json. */
  isInitial(username: string): boolean {
    return username === this.initial?.username;
  }

  reload(): void {
    this.file.reload();
  }

  close(): void {
    this.file.close();
  }
}
