import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logging/logger.ts';
import {
  decodeDeleteAclHeader, decodeListAclsHeader, decodeListUsersHeader, decodeSubjectHeader, decodeUsernameHeader,
  type AclInfo, type PolicyEntryInfo, type UserInfo,
} from '../protocol/acl-admin-bodies.ts';
import { encodeFastJson, parseFastJson } from '../protocol/fastjson.ts';
import { createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingCommand, type RemotingServer } from '../remoting/index.ts';
import { ACLS_FILE, parseAcls, type Acl, type PolicyEntry } from './acl-policies.ts';
import type { ServerSecurity } from './server-security.ts';
import { parseUsers, USERS_FILE, type User } from './user-store.ts';

const refuse = (message: string): never => {
  throw new RequestRefusedError(ResponseCode.NO_PERMISSION, message);
};
const invalid = (message: string): never => {
  throw new RequestRefusedError(ResponseCode.INVALID_PARAMETER, message);
};

/** "pub" -> "Pub": mqadmin passes what people typed; the files hold ACL 2.0's spelling. */
const capitalized = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();

function readArray(file: string): unknown[] {
  if (!fs.existsSync(file)) return [];
  return JSON.parse(fs.readFileSync(file, 'utf8')) as unknown[];
}

/** Written beside and renamed over, so the pollers never read half a file. */
function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** One entry per resource, as AclInfo carries them (acls.json may list several resources in one entry). */
function splitEntries(entries: readonly PolicyEntry[]): PolicyEntry[] {
  return entries.flatMap((e) => e.resource.map((r) => ({ ...e, resource: [r] })));
}

function toAclInfo(acl: Acl): AclInfo {
  return {
    subject: acl.subject,
    policies: acl.policies.map((p) => ({
      policyType: p.policyType,
      entries: splitEntries(p.entries).map((e) => ({ resource: e.resource[0]!, actions: e.actions, sourceIps: e.sourceIps, decision: e.decision })),
    })),
  };
}

function toUserInfo(u: User): UserInfo {
  return { username: u.username, password: u.password, userType: u.userType, userStatus: u.userStatus };
}

/**
 * mqadmin's user and ACL commands (RocketMQ 5.3's AUTH_* requests): they change users.json and acls.json in the
 * broker's auth folder, which the running security re-reads at once. Only a super user may send them.
 */
export function registerAclAdminProcessor(server: RemotingServer, security: ServerSecurity, log: Logger): void {
  const usersFile = () => path.join(security.dir!, USERS_FILE);
  const aclsFile = () => path.join(security.dir!, ACLS_FILE);

  const guard = (request: RemotingCommand): void => {
    if (!security.users || !security.dir) {
      refuse('user and ACL administration needs authenticationEnabled=true (or aclEnable) and an auth folder: only a super user may use it');
    }
    const accessKey = request.extFields?.AccessKey;
    if (!accessKey || security.users!.get(accessKey)?.userType !== 'Super') refuse(`only a super user may manage users and ACLs; ${accessKey ?? 'an unsigned request'} is not one`);
  };
  const fileUsers = (): User[] => parseUsers(JSON.stringify(readArray(usersFile())));
  const fileAcls = (): Acl[] => parseAcls(JSON.stringify(readArray(aclsFile())));
  const saveUsers = (users: User[]): void => {
    writeJson(usersFile(), users);
    security.users!.reload();
  };
  const saveAcls = (acls: Acl[]): void => {
    let checked: Acl[];
    try {
      checked = parseAcls(JSON.stringify(acls));
    } catch (err) {
      return invalid((err as Error).message);
    }
    writeJson(aclsFile(), checked);
    security.acls?.reload();
  };
  const userOf = (subject: string): string => {
    if (!subject.startsWith('User:')) invalid(`subject "${subject}" is not User:NAME`);
    const name = subject.slice('User:'.length);
    if (!security.users!.get(name)) refuse(`The subject of ${subject} is not exist.`);
    return name;
  };

  const handle = (codes: number, handler: (request: RemotingCommand) => Buffer | undefined) => {
    server.registerProcessor(codes, (request) => {
      guard(request);
      const body = handler(request);
      return createResponse(request, ResponseCode.SUCCESS, undefined, undefined, body);
    });
  };

  const userFromBody = (request: RemotingCommand, username: string): Partial<User> => {
    const info = request.body?.length ? parseFastJson<UserInfo>(request.body) : {};
    const out: Partial<User> = { username };
    if (info.password) out.password = info.password;
    if (info.userType) {
      const t = capitalized(info.userType);
      if (t !== 'Super' && t !== 'Normal') invalid(`userType must be Super or Normal, not ${info.userType}`);
      out.userType = t as User['userType'];
    }
    if (info.userStatus) {
      const s = info.userStatus.toLowerCase();
      if (s !== 'enable' && s !== 'disable') invalid(`userStatus must be enable or disable, not ${info.userStatus}`);
      out.userStatus = s as User['userStatus'];
    }
    return out;
  };

  handle(RequestCode.AUTH_CREATE_USER, (request) => {
    const { username } = decodeUsernameHeader(request.extFields);
    const given = userFromBody(request, username);
    if (!given.password) invalid('a new user needs a password');
    if (security.users!.get(username)) refuse('The user is existed');
    saveUsers([...fileUsers(), { userType: 'Normal', userStatus: 'enable', ...given } as User]);
    log.info(`user ${username} created (${given.userType ?? 'Normal'}) by ${request.extFields?.AccessKey}`);
    return undefined;
  });

  handle(RequestCode.AUTH_UPDATE_USER, (request) => {
    const { username } = decodeUsernameHeader(request.extFields);
    if (security.users!.isInitial(username)) refuse(`user ${username} is initAuthenticationUser: change it in the config`);
    const users = fileUsers();
    const old = users.find((u) => u.username === username) ?? refuse('The user is not exist');
    Object.assign(old, userFromBody(request, username));
    saveUsers(users);
    log.info(`user ${username} updated by ${request.extFields?.AccessKey}`);
    return undefined;
  });

  handle(RequestCode.AUTH_DELETE_USER, (request) => {
    const { username } = decodeUsernameHeader(request.extFields);
    if (security.users!.isInitial(username)) refuse(`user ${username} is initAuthenticationUser: remove it from the config`);
    const users = fileUsers();
    if (users.some((u) => u.username === username)) saveUsers(users.filter((u) => u.username !== username));
    // Its ACL goes with it, as in RocketMQ: a user created again later starts without grants.
    const acls = fileAcls();
    if (acls.some((a) => a.subject === `User:${username}`)) saveAcls(acls.filter((a) => a.subject !== `User:${username}`));
    log.info(`user ${username} deleted by ${request.extFields?.AccessKey}`);
    return undefined;
  });

  handle(RequestCode.AUTH_GET_USER, (request) => {
    const user = security.users!.get(decodeUsernameHeader(request.extFields).username);
    return user && encodeFastJson(toUserInfo(user));
  });

  handle(RequestCode.AUTH_LIST_USER, (request) => {
    const { filter } = decodeListUsersHeader(request.extFields);
    const users = security.users!.list().filter((u) => !filter || u.username.includes(filter));
    return users.length > 0 ? encodeFastJson(users.map(toUserInfo)) : undefined;
  });

  /** Create and update both merge, as RocketMQ does: an entry for a resource replaces the one held for it. */
  const mergeAcl = (request: RemotingCommand): undefined => {
    const { subject: headerSubject } = decodeSubjectHeader(request.extFields);
    const info = request.body?.length ? parseFastJson<AclInfo>(request.body) : {};
    if (!info.policies?.length) invalid('The body of acl is null');
    const subject = info.subject || headerSubject;
    userOf(subject);
    const acls = fileAcls();
    let acl = acls.find((a) => a.subject === subject);
    if (!acl) acls.push((acl = { subject, policies: [] }));
    for (const p of info.policies!) {
      const policyType = p.policyType ? capitalized(p.policyType) : 'Custom';
      if (!p.entries?.length) invalid('The policy entries is empty.');
      let policy = acl.policies.find((x) => x.policyType === policyType);
      if (!policy) acl.policies.push((policy = { policyType, entries: [] }));
      let entries = splitEntries(policy.entries);
      for (const e of p.entries!) {
        const entry = entryFromInfo(e);
        entries = [...entries.filter((x) => x.resource[0] !== entry.resource[0]), entry];
      }
      policy.entries = entries;
    }
    saveAcls(acls);
    log.info(`ACL of ${subject} changed by ${request.extFields?.AccessKey}`);
    return undefined;
  };
  handle(RequestCode.AUTH_CREATE_ACL, mergeAcl);
  handle(RequestCode.AUTH_UPDATE_ACL, mergeAcl);

  handle(RequestCode.AUTH_DELETE_ACL, (request) => {
    const { subject, policyType, resource } = decodeDeleteAclHeader(request.extFields);
    userOf(subject);
    const acls = fileAcls();
    const acl = acls.find((a) => a.subject === subject) ?? refuse('The acl is not exist.');
    const type = policyType ? capitalized(policyType) : 'Custom';
    if (resource) {
      for (const p of acl.policies) {
        if (p.policyType === type) p.entries = splitEntries(p.entries).filter((e) => e.resource[0] !== resource);
      }
      acl.policies = acl.policies.filter((p) => p.entries.length > 0);
    }
    saveAcls(!resource || acl.policies.length === 0 ? acls.filter((a) => a !== acl) : acls);
    log.info(`ACL of ${subject}${resource ? ` on ${resource}` : ''} deleted by ${request.extFields?.AccessKey}`);
    return undefined;
  });

  handle(RequestCode.AUTH_GET_ACL, (request) => {
    const { subject } = decodeSubjectHeader(request.extFields);
    userOf(subject);
    const acl = fileAcls().find((a) => a.subject === subject);
    return acl && encodeFastJson(toAclInfo(acl));
  });

  handle(RequestCode.AUTH_LIST_ACL, (request) => {
    const { subjectFilter, resourceFilter } = decodeListAclsHeader(request.extFields);
    const listed = fileAcls()
      .filter((a) => !subjectFilter || a.subject.includes(subjectFilter))
      .map((a) => ({
        ...a,
        policies: a.policies
          .map((p) => ({ ...p, entries: splitEntries(p.entries).filter((e) => !resourceFilter || e.resource[0]!.includes(resourceFilter)) }))
          .filter((p) => p.entries.length > 0),
      }))
      .filter((a) => a.policies.length > 0);
    return listed.length > 0 ? encodeFastJson(listed.map(toAclInfo)) : undefined;
  });
}

function entryFromInfo(e: PolicyEntryInfo): PolicyEntry {
  if (!e.resource) return invalid('The resource is null.');
  if (!e.actions?.length) return invalid('The actions is empty.');
  const actions = e.actions.map(capitalized) as PolicyEntry['actions'];
  return { resource: [e.resource], actions, sourceIps: e.sourceIps ?? [], decision: e.decision ? (capitalized(e.decision) as PolicyEntry['decision']) : 'Allow' };
}
