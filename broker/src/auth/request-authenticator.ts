import type { Logger } from '../logging/logger.ts';
import { ACCESS_KEY_FIELD, hasValidSignature, SIGNATURE_FIELD } from '../protocol/request-signature.ts';
import { RequestRefusedError, requestCodeName, ResponseCode, type RemotingCommand } from '../remoting/index.ts';
import type { User, UserStore } from './user-store.ts';

/**
 * Checks the AclClientRPCHook signature of a request against the signing user's password. A refusal is
 * NO_PERMISSION (what RocketMQ 5 answers) with a remark saying what to fix, and a log line with the peer.
 */
export class RequestAuthenticator {
  private readonly users: UserStore;
  private readonly whitelist: ReadonlySet<number>;
  private readonly log: Logger;

  constructor(users: UserStore, whitelist: ReadonlySet<number>, log: Logger) {
    this.users = users;
    this.whitelist = whitelist;
    this.log = log;
  }

  /** The user that signed the request; undefined for a whitelisted request code. */
  authenticate(request: RemotingCommand, peer: string): User | undefined {
    if (this.whitelist.has(request.code)) return undefined;
    const username = request.extFields?.[ACCESS_KEY_FIELD];
    if (!username) return this.refuse(request, peer, 'request is not signed (no AccessKey): authentication is on, sign requests with an AccessKey and SecretKey (AclClientRPCHook)');
    const user = this.users.get(username);
    if (!user) return this.refuse(request, peer, `user ${username} is not found`);
    if (user.userStatus === 'disable') return this.refuse(request, peer, `user ${username} is disabled`);
    if (request.extFields?.[SIGNATURE_FIELD] === undefined) return this.refuse(request, peer, `request of user ${username} carries no Signature`);
    if (!hasValidSignature(request, user.password)) {
      return this.refuse(request, peer, `signature check failed for user ${username}: wrong SecretKey, or the request was changed after signing`);
    }
    return user;
  }

  private refuse(request: RemotingCommand, peer: string, reason: string): never {
    this.log.warn(`authentication refused ${requestCodeName(request.code)} from ${peer}: ${reason}`);
    throw new RequestRefusedError(ResponseCode.NO_PERMISSION, reason);
  }
}
