import { boolKey, stringKey, type ConfigOf, type ConfigTable } from '../config/config-table.ts';

/** `{"username":"u","password":"p"}` (initAuthenticationUser) or `{"accessKey":"u","secretKey":"p"}` (inner credentials). */
function parseJsonPair(text: string, first: string, second: string): { [k: string]: string } | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `is not JSON; want {"${first}":"...","${second}":"..."}`;
  }
  const o = value as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || typeof o[first] !== 'string' || typeof o[second] !== 'string' || o[first] === '' || o[second] === '') {
    return `wants {"${first}":"...","${second}":"..."} with both non-empty`;
  }
  return { [first]: o[first], [second]: o[second] };
}

function jsonPairCheck(first: string, second: string) {
  return (v: string) => {
    if (v === '') return undefined;
    const parsed = parseJsonPair(v, first, second);
    return typeof parsed === 'string' ? parsed : undefined;
  };
}

/**
 * The ACL keys the broker and the namesrv share: RocketMQ 5.3's ACL 2.0 names, plus 4.x's aclEnable.
 */
export const authConfigTable = {
  aclEnable: boolKey({ default: false, doc: 'RocketMQ 4.x switch: the same as authenticationEnabled and authorizationEnabled both true.' }),
  authenticationEnabled: boolKey({ default: false, doc: 'Refuse requests that are not signed by a known user (AclClientRPCHook).' }),
  authorizationEnabled: boolKey({ default: false, doc: 'Refuse requests a normal user holds no grant for (acls.json); needs authenticationEnabled.' }),
  authConfigPath: stringKey({
    default: '',
    doc: 'Folder of users.json (and acls.json); empty: the broker\'s <storePathRootDir>/config, the namesrv keeps only initAuthenticationUser.',
  }),
  initAuthenticationUser: stringKey({
    default: '',
    check: jsonPairCheck('username', 'password'),
    doc: 'A super user that always exists, {"username":"...","password":"..."}.',
  }),
  innerClientAuthenticationCredentials: stringKey({
    default: '',
    check: jsonPairCheck('accessKey', 'secretKey'),
    doc: 'What this server signs its own requests with (registration, slave sync), {"accessKey":"...","secretKey":"..."}.',
  }),
  authenticationWhitelist: stringKey({
    default: '',
    check: (v) => (v.split(',').every((c) => c.trim() === '' || /^\d+$/.test(c.trim())) ? undefined : 'wants request codes separated by commas'),
    doc: 'Request codes accepted without a signature, comma separated.',
  }),
} satisfies ConfigTable;

export type AuthConfig = ConfigOf<typeof authConfigTable>;

export function authenticationOn(c: AuthConfig): boolean {
  return c.aclEnable || c.authenticationEnabled;
}

export function authorizationOn(c: AuthConfig): boolean {
  return c.aclEnable || c.authorizationEnabled;
}

export function initialUser(c: AuthConfig): { username: string; password: string } | undefined {
  if (c.initAuthenticationUser === '') return undefined;
  const p = parseJsonPair(c.initAuthenticationUser, 'username', 'password');
  return typeof p === 'string' ? undefined : { username: p.username!, password: p.password! };
}

export function innerCredentials(c: AuthConfig): { accessKey: string; secretKey: string } | undefined {
  if (c.innerClientAuthenticationCredentials === '') return undefined;
  const p = parseJsonPair(c.innerClientAuthenticationCredentials, 'accessKey', 'secretKey');
  return typeof p === 'string' ? undefined : { accessKey: p.accessKey!, secretKey: p.secretKey! };
}

export function whitelistedCodes(c: AuthConfig): Set<number> {
  return new Set(c.authenticationWhitelist.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number));
}
