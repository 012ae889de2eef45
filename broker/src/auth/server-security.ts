import path from 'node:path';
import { ConfigError } from '../config/properties-file.ts';
import type { Logger } from '../logging/logger.ts';
import { signRequest } from '../protocol/request-signature.ts';
import { RequestRefusedError, requestCodeName, ResponseCode, type RemotingCommand, type RemotingServer } from '../remoting/index.ts';
import { ACLS_FILE, decide, parseAcls, type Acl } from './acl-policies.ts';
import { authenticationOn, authorizationOn, innerCredentials, initialUser, whitelistedCodes, type AuthConfig } from './auth-config.ts';
import { REQUEST_GRANTS } from './request-grants.ts';
import { RequestAuthenticator } from './request-authenticator.ts';
import type { User } from './user-store.ts';
import { UserStore } from './user-store.ts';
import { WatchedJsonFile } from './watched-json-file.ts';

/** What a server (broker or namesrv) runs for ACL: its users, their policies and the gate in front of its processors. */
export class ServerSecurity {
  readonly users: UserStore | undefined;
  readonly acls: WatchedJsonFile<Acl[]> | undefined;
  /** Folder of users.json and acls.json; undefined when authentication is off or the server keeps no files (namesrv). */
  readonly dir: string | undefined;
  private readonly log: Logger;

  /** authDir: where users.json and acls.json live when authConfigPath is empty (the broker's config folder). */
  constructor(server: RemotingServer, config: AuthConfig, authDir: string | undefined, log: Logger) {
    this.log = log.child('auth');
    if (!authenticationOn(config)) {
      if (authorizationOn(config)) throw new ConfigError('authorizationEnabled needs authenticationEnabled: without signatures anyone can claim any user');
      return;
    }
    const dir = config.authConfigPath || authDir;
    this.dir = dir;
    const users = new UserStore(dir, initialUser(config), this.log);
    this.users = users;
    if (users.list().length === 0) {
      log.warn(`authentication is on but no user exists yet: set initAuthenticationUser or write ${dir ?? '(no authConfigPath)'}/users.json; every request is refused until then`);
    }
    const authenticator = new RequestAuthenticator(users, whitelistedCodes(config), this.log);
    const acls = authorizationOn(config) ? new WatchedJsonFile(dir && path.join(dir, ACLS_FILE), parseAcls, [], this.log) : undefined;
    this.acls = acls;
    server.setRequestGate((request, connection) => {
      const user = authenticator.authenticate(request, connection.remoteAddress);
      if (user && acls) this.authorize(request, user, acls.value, connection.remoteAddress);
    });
  }

  close(): void {
    this.users?.close();
    this.acls?.close();
  }

  /** A super user may do anything; a normal user what its policies allow, per REQUEST_GRANTS. */
  private authorize(request: RemotingCommand, user: User, acls: readonly Acl[], peer: string): void {
    if (user.userType === 'Super') return;
    const grant = REQUEST_GRANTS[request.code];
    if (grant === 'public') return;
    const refuse = (reason: string): never => {
      this.log.warn(`authorization refused ${requestCodeName(request.code)} from ${peer}: ${reason}`);
      throw new RequestRefusedError(ResponseCode.NO_PERMISSION, reason);
    };
    if (!grant || grant === 'super') return refuse(`request ${requestCodeName(request.code)} is for super users only; user ${user.username} is not one`);
    let needs;
    try {
      needs = grant(request);
    } catch (err) {
      return refuse(`cannot tell what ${requestCodeName(request.code)} touches: ${(err as Error).message}`);
    }
    const ip = peer.slice(0, peer.lastIndexOf(':'));
    const acl = acls.find((a) => a.subject === `User:${user.username}`);
    for (const need of needs) {
      const decision = decide(acl, need, ip);
      if (decision === 'Allow') continue;
      const what = `${need.actions.join(' or ')} on ${need.type}:${need.name}`;
      refuse(decision === 'Deny' ? `user ${user.username} is denied ${what} from ${ip}` : `user ${user.username} has no grant of ${what} from ${ip}`);
    }
  }
}

/** How a server signs its own requests (to name servers, to its master): with innerClientAuthenticationCredentials. */
export function innerRequestSigner(config: AuthConfig): ((request: RemotingCommand) => RemotingCommand) | undefined {
  const credentials = innerCredentials(config);
  return credentials && ((request) => signRequest(request, credentials));
}
