/**
 * The machinery a producer, consumer or admin client shares: one connection per server, name server
 * failover, the topic route cache and its refresh, heartbeats to brokers, and the handler for the
 * requests brokers send us. Each client object owns one instance, so each has its own client id, as
 * each Java client does by default.
 */
import { localIPv4 } from '../message/host-address.ts';
import { randomInt } from 'node:crypto';
import { createLogger, type Logger } from '../logging/logger.ts';
import {
  createResponse, isOneway, RemotingClient, RequestCode, ResponseCode, SerializeType,
  type RemotingCommand, type RemotingConnection, type SerializeTypeValue, type TlsClientSettings,
} from '../remoting/index.ts';
import { type BrokerData, type ConsumerData, type HeartbeatData, type TopicRouteData } from '../protocol/index.ts';
import { signRequest, type SessionCredentials } from '../protocol/request-signature.ts';
import { ClientApi } from './client-api.ts';
import { ClientError, isNetworkError } from './client-error.ts';
import { decodeResetOffsetBody, type QueueOffset } from './message-queue.ts';
import { MASTER_ID } from './topic-route.ts';

/** Options every client accepts. */
export interface ClientOptions {
  /** Name servers, `host:port` separated by `;` (RocketMQ's namesrvAddr). */
  namesrvAddr: string;
  /** Fixes the part of the client id after the `@`; by default `<pid>#<random>`, new for every client. */
  instanceName?: string;
  /** Route refresh period (RocketMQ: pollNameServerInterval, 30 s). */
  pollNameServerIntervalMs?: number;
  /** Heartbeat period (RocketMQ: heartbeatBrokerInterval, 30 s). */
  heartbeatIntervalMs?: number;
  /** Timeout of ordinary requests (routes, offsets, heartbeats). */
  requestTimeoutMs?: number;
  /** Header encoding of our requests: JSON (RocketMQ's default) or the binary ROCKETMQ form. */
  serializeType?: 'JSON' | 'ROCKETMQ';
  logger?: Logger;
  /** ACL user to sign every request as (AclClientRPCHook's AccessKey/SecretKey); unsigned without. */
  credentials?: SessionCredentials | undefined;
  /** Connect to name servers and brokers with TLS (RocketMQ's tls.enable); plain TCP without. */
  tls?: TlsClientSettings | undefined;
}

/** What a consumer tells the instance so heartbeats and broker notifications reach it. */
export interface ConsumerMember {
  consumerData(): ConsumerData;
  onConsumerIdsChanged(): void;
  /** An admin reset the group's offsets (RESET_CONSUMER_CLIENT_OFFSET): start these queues over there. */
  onOffsetsReset(topic: string, offsets: QueueOffset[]): void;
}

/** Producer group every RocketMQ client announces (the internal producer of consumers). */
export const CLIENT_INNER_PRODUCER_GROUP = 'CLIENT_INNER_PRODUCER';

export function parseNamesrvAddr(text: string): string[] {
  const list = text.split(/[;,\s]+/).map((s) => s.trim()).filter((s) => s.length > 0);
  if (list.length === 0) throw new ClientError('no name server address given (namesrvAddr is empty)');
  for (const addr of list) {
    const port = Number(addr.slice(addr.lastIndexOf(':') + 1));
    if (addr.lastIndexOf(':') <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new ClientError(`bad name server address "${addr}": want host:port`);
    }
  }
  return list;
}


export function newClientId(instanceName?: string): string {
  return `${localIPv4()}@${instanceName ?? `${process.pid}#${process.hrtime.bigint() % 1_000_000_000_000n}${randomInt(1000)}`}`;
}

export class ClientInstance {
  readonly clientId: string;
  readonly api: ClientApi;
  readonly log: Logger;
  readonly requestTimeoutMs: number;
  private readonly namesrvs: string[];
  private namesrvIndex: number;
  private readonly remoting: RemotingClient;
  private readonly options: ClientOptions;
  private readonly routes = new Map<string, TopicRouteData>();
  private readonly routeFetches = new Map<string, Promise<TopicRouteData | undefined>>();
  /** Topics whose routes are refreshed periodically. */
  private readonly watchedTopics = new Set<string>();
  private brokerTable = new Map<string, BrokerData>();
  private readonly producerGroups = new Set<string>();
  private readonly consumers = new Map<string, ConsumerMember>();
  /** Remoting version each broker answered our heartbeat with. */
  readonly brokerVersions = new Map<string, number>();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Set by a TransactionProducer: answers the brokers' CHECK_TRANSACTION_STATE. */
  onTransactionCheck: ((req: RemotingCommand, connection: RemotingConnection) => void) | undefined;
  /** Set by a Producer: takes a reply the broker pushes (PUSH_REPLY_MESSAGE_TO_CLIENT); throws when it is malformed. */
  onReplyMessage: ((req: RemotingCommand) => void) | undefined;
  private started = false;
  private closed = false;

  constructor(options: ClientOptions) {
    this.options = options;
    this.namesrvs = parseNamesrvAddr(options.namesrvAddr);
    this.namesrvIndex = randomInt(this.namesrvs.length);
    this.clientId = newClientId(options.instanceName);
    this.log = options.logger ?? createLogger('client');
    this.requestTimeoutMs = options.requestTimeoutMs ?? 3000;
    const credentials = options.credentials;
    this.remoting = new RemotingClient({
      logger: this.log, handler: (req, connection) => this.onServerRequest(req, connection),
      beforeRequest: credentials && ((request) => signRequest(request, credentials)),
      tls: options.tls,
    });
    const serializeType: SerializeTypeValue = options.serializeType === 'ROCKETMQ' ? SerializeType.ROCKETMQ : SerializeType.JSON;
    this.api = new ClientApi(this.remoting, serializeType);
  }

  get namesrvAddresses(): readonly string[] {
    return this.namesrvs;
  }

  /** Starts the periodic route refresh and heartbeats. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const every = (ms: number, task: () => Promise<void>) => {
      const timer = setInterval(() => {
        task().catch((err) => this.log.warn((err as Error).message));
      }, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.options.pollNameServerIntervalMs ?? 30_000, () => this.refreshWatchedRoutes());
    every(this.options.heartbeatIntervalMs ?? 30_000, () => this.heartbeatAll());
  }

  /** Unregisters our groups from every broker, then closes all connections. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    const groups: { producerGroup?: string; consumerGroup?: string }[] = [
      ...[...this.producerGroups].map((g) => ({ producerGroup: g })),
      ...[...this.consumers.keys()].map((g) => ({ consumerGroup: g })),
    ];
    const brokers = this.brokerAddresses(this.consumers.size === 0);
    await Promise.all(brokers.flatMap((addr) => groups.map((g) =>
      this.api.unregisterClient(addr, this.clientId, g).catch((err) => this.log.debug(`unregister at ${addr}: ${(err as Error).message}`)))));
    await this.remoting.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  registerProducer(group: string): void {
    this.producerGroups.add(group);
  }

  registerConsumer(group: string, member: ConsumerMember): void {
    if (this.consumers.has(group)) throw new ClientError(`consumer group ${group} is already registered on this client`);
    this.consumers.set(group, member);
  }

  // --- name servers and routes ---------------------------------------------------------------------

  /** Runs `call` against a name server, moving on to the next one when the connection fails. */
  async withNamesrv<T>(call: (addr: string) => Promise<T>): Promise<T> {
    let lastError: unknown;
    for (let i = 0; i < this.namesrvs.length; i++) {
      const addr = this.namesrvs[this.namesrvIndex]!;
      try {
        return await call(addr);
      } catch (err) {
        if (!isNetworkError(err)) throw err;
        lastError = err;
        this.namesrvIndex = (this.namesrvIndex + 1) % this.namesrvs.length;
      }
    }
    const why = lastError instanceof Error ? lastError.message : String(lastError);
    throw new ClientError(`no name server reachable (${this.namesrvs.join(';')}): ${why}`, { cause: lastError });
  }

  /** Keeps `topic`'s route fresh from now on. */
  watchTopic(topic: string): void {
    this.watchedTopics.add(topic);
  }

  /** The cached route, fetched on first use; undefined when the name server does not know the topic. */
  async topicRoute(topic: string): Promise<TopicRouteData | undefined> {
    return this.routes.get(topic) ?? this.refreshRoute(topic);
  }

  cachedRoute(topic: string): TopicRouteData | undefined {
    return this.routes.get(topic);
  }

  /**
   * Fetches the route from a name server and caches it. When the topic is unknown the cached route (if
   * any) is kept, as Java does: a route built from TBW102 stays in use until the real one appears.
   */
  refreshRoute(topic: string): Promise<TopicRouteData | undefined> {
    // Concurrent callers share one request (a burst of first sends must not fetch the route N times).
    let pending = this.routeFetches.get(topic);
    if (!pending) {
      pending = this.withNamesrv((addr) => this.api.getTopicRoute(addr, topic, this.requestTimeoutMs)).then((route) => {
        if (route) this.setRoute(topic, route);
        return route;
      }).finally(() => this.routeFetches.delete(topic));
      this.routeFetches.set(topic, pending);
    }
    return pending;
  }

  setRoute(topic: string, route: TopicRouteData): void {
    // Re-inserted so that it is the last one read: the freshest route says who a broker's master is now, not an
    // older cached route of another topic (after a failover the old master would otherwise win until its refresh).
    this.routes.delete(topic);
    this.routes.set(topic, route);
    this.rebuildBrokerTable();
  }

  private async refreshWatchedRoutes(): Promise<void> {
    for (const topic of this.watchedTopics) {
      if (this.closed) return;
      try {
        await this.refreshRoute(topic);
      } catch (err) {
        this.log.warn(`route refresh of ${topic}: ${(err as Error).message}`);
      }
    }
  }

  private rebuildBrokerTable(): void {
    const before = new Set(this.brokerAddresses(false));
    const table = new Map<string, BrokerData>();
    for (const route of this.routes.values()) for (const bd of route.brokerDatas) table.set(bd.brokerName, bd);
    this.brokerTable = table;
    // A consumer must be known to a broker before it pulls there: greet new brokers right away.
    const fresh = this.brokerAddresses(false).filter((a) => !before.has(a));
    if (fresh.length > 0 && this.started && !this.closed) {
      void this.heartbeatTo(fresh).catch((err) => this.log.debug(`heartbeat: ${(err as Error).message}`));
    }
  }

  /**
   * Address of `brokerName`'s broker `brokerId` (0 = master), falling back to the master, then to any member
   * (the lowest id): while a master is away its slaves still serve reads and take offsets.
   */
  brokerAddress(brokerName: string, brokerId: number | string = MASTER_ID): string | undefined {
    const addrs = this.brokerTable.get(brokerName)?.brokerAddrs;
    if (!addrs) return undefined;
    const lowest = Object.keys(addrs).sort((a, b) => Number(a) - Number(b))[0];
    return addrs[String(brokerId)] ?? addrs[MASTER_ID] ?? (lowest === undefined ? undefined : addrs[lowest]);
  }

  /** Some member of the broker group (master first), or a ClientError saying the group has none. */
  requireMember(brokerName: string): string {
    const addr = this.brokerAddress(brokerName);
    if (!addr) throw new ClientError(`broker ${brokerName} has no address in the routes we know`);
    return addr;
  }

  /** The master's address, or a ClientError saying the broker group has none. */
  /** The master's address in the routes we know, if there is one. */
  masterAddress(brokerName: string): string | undefined {
    return this.brokerTable.get(brokerName)?.brokerAddrs[MASTER_ID];
  }

  requireMaster(brokerName: string): string {
    const addr = this.masterAddress(brokerName);
    if (!addr) throw new ClientError(`broker ${brokerName} has no master in the routes we know`);
    return addr;
  }

  /** Broker addresses of all cached routes (masters only, or masters and slaves). */
  brokerAddresses(mastersOnly: boolean): string[] {
    const out = new Set<string>();
    for (const bd of this.brokerTable.values()) {
      for (const [id, addr] of Object.entries(bd.brokerAddrs)) if (addr && (!mastersOnly || id === MASTER_ID)) out.add(addr);
    }
    return [...out];
  }

  // --- heartbeats --------------------------------------------------------------------------------

  heartbeatData(): HeartbeatData {
    return {
      clientID: this.clientId,
      producerDataSet: [...this.producerGroups, CLIENT_INNER_PRODUCER_GROUP].map((groupName) => ({ groupName })),
      consumerDataSet: [...this.consumers.values()].map((c) => c.consumerData()),
      heartbeatFingerprint: 0,
      withoutSub: false,
    };
  }

  /** Heartbeat to every broker we know (masters only when we only produce), as Java does every 30 s. */
  heartbeatAll(): Promise<void> {
    return this.heartbeatTo(this.brokerAddresses(this.consumers.size === 0));
  }

  /** Resolves when every broker answered; rejects with the first failure after all were tried. */
  async heartbeatTo(addresses: string[]): Promise<void> {
    if (addresses.length === 0 || this.closed) return;
    const data = this.heartbeatData();
    const results = await Promise.allSettled(addresses.map(async (addr) => {
      const version = await this.api.heartbeat(addr, data, this.requestTimeoutMs);
      this.brokerVersions.set(addr, version);
    }));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  // --- requests from brokers ---------------------------------------------------------------------

  private onServerRequest(req: RemotingCommand, connection: RemotingConnection): RemotingCommand | undefined {
    if (req.code === RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT && this.onReplyMessage) {
      try {
        this.onReplyMessage(req);
      } catch (err) {
        return createResponse(req, ResponseCode.SYSTEM_ERROR, (err as Error).message);
      }
      return createResponse(req, ResponseCode.SUCCESS);
    }
    if (req.code === RequestCode.CHECK_TRANSACTION_STATE && this.onTransactionCheck) {
      this.onTransactionCheck(req, connection);
      return undefined;
    }
    if (req.code === RequestCode.NOTIFY_CONSUMER_IDS_CHANGED) {
      const group = req.extFields?.consumerGroup;
      const member = group === undefined ? undefined : this.consumers.get(group);
      if (member) {
        this.log.debug(`members of ${group} changed, rebalancing`);
        member.onConsumerIdsChanged();
      }
      return undefined;
    }
    if (req.code === RequestCode.RESET_CONSUMER_CLIENT_OFFSET) {
      const group = req.extFields?.group;
      const topic = req.extFields?.topic;
      const member = group === undefined ? undefined : this.consumers.get(group);
      if (member && topic) {
        try {
          member.onOffsetsReset(topic, decodeResetOffsetBody(req.body));
        } catch (err) {
          this.log.warn(`offset reset of ${group} on ${topic}: ${(err as Error).message}`);
        }
      }
      return isOneway(req) ? undefined : createResponse(req, ResponseCode.SUCCESS);
    }
    if (isOneway(req)) return undefined;
    return createResponse(req, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, `request code ${req.code} is not supported by the Tern client`);
  }
}
