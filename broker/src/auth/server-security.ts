import type { Logger } from '../logging/logger.ts';
import { signRequest } from '../protocol/request-signature.ts';
import type { RemotingCommand, RemotingServer } from '../remoting/index.ts';
import { authenticationOn, innerCredentials, initialUser, whitelistedCodes, type AuthConfig } from './auth-config.ts';
import { RequestAuthenticator } from './request-authenticator.ts';
import { UserStore } from './user-store.ts';

/** What a server (broker or namesrv) runs for ACL: its users and the gate in front of its processors. */
export class ServerSecurity {
  readonly users: UserStore | undefined;

  /** authDir: where users.json lives when authConfigPath is empty (the broker's config folder). */
  constructor(server: RemotingServer, config: AuthConfig, authDir: string | undefined, log: Logger) {
    if (!authenticationOn(config)) return;
    const dir = config.authConfigPath || authDir;
    const users = new UserStore(dir, initialUser(config), log);
    this.users = users;
    if (users.list().length === 0) {
      log.warn(`authentication is on but no user exists yet: set initAuthenticationUser or write ${dir ?? '(no authConfigPath)'}/users.json; every request is refused until then`);
    }
    const authenticator = new RequestAuthenticator(users, whitelistedCodes(config), log.child('auth'));
    server.setRequestGate((request, connection) => {
      authenticator.authenticate(request, connection.remoteAddress);
    });
  }

  close(): void {
    this.users?.close();
  }
}

/** How a server signs its own requests (to name servers, to its master): with innerClientAuthenticationCredentials. */
export function innerRequestSigner(config: AuthConfig): ((request: RemotingCommand) => RemotingCommand) | undefined {
  const credentials = innerCredentials(config);
  return credentials && ((request) => signRequest(request, credentials));
}
