/**
 * The requests a client sends, one typed method each: headers in, checked responses out. A non-success
 * answer becomes a ClientError carrying the response code; a failed connection a ClientError whose
 * cause is the RemoteError.
 */
import type { Socket } from 'node:net';
import {
  createRequest, RemoteError, RemotingClient, RequestCode, ResponseCode, SerializeType,
  type HeaderInput, type RemotingCommand, type RemotingConnection, type SerializeTypeValue,
} from '../remoting/index.ts';
import {
  encodeRecallMessageHeader, type RecallMessageHeader,
  encodeSendHeaderV2, type SendMessageHeader, type SubscriptionGroupConfig, decodeJson, encodeJson, type ClusterInfo, type HeartbeatData, type TopicRouteData,
  encodeConsumerGroupHeader, encodeConsumerSendBackHeader, encodeDeleteSubscriptionGroupHeader, encodeCreateTopicHeader, encodeDeleteTopicHeader, encodeGetRouteInfoHeader,
  encodePullMessageHeader, encodeQueryConsumerOffsetHeader, encodeQueueOffsetHeader, encodeResetOffsetHeader, encodeSearchOffsetHeader,
  encodeUnregisterClientHeader, encodeUpdateConsumerOffsetHeader, decodeOffsetResponseHeader, decodePullMessageResponseHeader,
  decodeSendMessageResponseHeader, encodeEndTransactionHeader, type EndTransactionHeader, type ConsumerSendBackHeader, type CreateTopicRequest, type PullMessageHeader,
} from '../protocol/index.ts';
import { ClientError } from './client-error.ts';
import { decodeResetOffsetBody, type MessageQueue, type QueueOffset } from './message-queue.ts';

/** Codes that mean "sent" (§2.2): the message is stored even if a flush or replica wait timed out. */
const SEND_OK_CODES = new Set<number>([
  ResponseCode.SUCCESS, ResponseCode.FLUSH_DISK_TIMEOUT, ResponseCode.FLUSH_SLAVE_TIMEOUT, ResponseCode.SLAVE_NOT_AVAILABLE,
]);

/** SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE header, with the long names; encoded with the single letters. */
export type SendHeader = SendMessageHeader;

export interface SendResponse {
  code: number;
  offsetMsgId: string;
  queueId: number;
  queueOffset: number;
  transactionId: string | undefined;
  regionId: string | undefined;
  recallHandle: string | undefined;
}

export interface PullResponse {
  code: number;
  remark: string | undefined;
  nextBeginOffset: number;
  minOffset: number;
  maxOffset: number;
  suggestWhichBrokerId: number;
  body: Buffer | undefined;
}

/** Pull answers the consumer handles itself; anything else is an error. */
const PULL_CODES = new Set<number>([
  ResponseCode.SUCCESS, ResponseCode.PULL_NOT_FOUND, ResponseCode.PULL_RETRY_IMMEDIATELY, ResponseCode.PULL_OFFSET_MOVED,
]);

export class ClientApi {
  readonly remoting: RemotingClient;
  private readonly serializeType: SerializeTypeValue;

  constructor(remoting: RemotingClient, serializeType: SerializeTypeValue = SerializeType.JSON) {
    this.remoting = remoting;
    this.serializeType = serializeType;
  }

  /** Sends a request; network failures become ClientErrors (cause: the RemoteError). */
  async invoke(address: string, code: number, header: HeaderInput | undefined, body: Buffer | undefined, timeoutMs: number): Promise<RemotingCommand> {
    try {
      return await this.remoting.invoke(address, createRequest(code, header, body, this.serializeType), timeoutMs);
    } catch (err) {
      if (err instanceof RemoteError) throw new ClientError(err.message, { address, cause: err });
      throw err;
    }
  }

  /** Resolves once the frame is handed to the socket; waits for 'drain' when the socket's buffer is full. */
  async invokeOneway(address: string, code: number, header: HeaderInput | undefined, body?: Buffer): Promise<void> {
    try {
      const connection = await this.remoting.connection(address);
      connection.invokeOneway(createRequest(code, header, body, this.serializeType));
      const socket = connection.socket;
      if (socket.writableNeedDrain && !connection.closed) await drained(socket);
    } catch (err) {
      if (err instanceof RemoteError) throw new ClientError(err.message, { address, cause: err });
      throw err;
    }
  }

  private async call(address: string, what: string, code: number, header?: HeaderInput, body?: Buffer, timeoutMs = 3000): Promise<RemotingCommand> {
    const response = await this.invoke(address, code, header, body, timeoutMs);
    if (response.code !== ResponseCode.SUCCESS) throw failure(what, address, response);
    return response;
  }

  // --- name server -------------------------------------------------------------------------------

  /** The topic's route, or undefined when the name server does not know the topic. */
  async getTopicRoute(namesrv: string, topic: string, timeoutMs = 3000): Promise<TopicRouteData | undefined> {
    const response = await this.invoke(namesrv, RequestCode.GET_ROUTEINFO_BY_TOPIC, encodeGetRouteInfoHeader({ topic, acceptStandardJsonOnly: true }), undefined, timeoutMs);
    if (response.code === ResponseCode.TOPIC_NOT_EXIST) return undefined;
    if (response.code !== ResponseCode.SUCCESS) throw failure(`route of ${topic}`, namesrv, response);
    const route = decodeJson<TopicRouteData>(response.body, `route of ${topic}`);
    route.queueDatas ??= [];
    route.brokerDatas ??= [];
    route.filterServerTable ??= {};
    return route;
  }

  async getClusterInfo(namesrv: string): Promise<ClusterInfo> {
    const response = await this.call(namesrv, 'cluster info', RequestCode.GET_BROKER_CLUSTER_INFO);
    const info = decodeJson<ClusterInfo>(response.body, 'cluster info');
    info.brokerAddrTable ??= {};
    info.clusterAddrTable ??= {};
    return info;
  }

  async getTopicList(namesrv: string): Promise<string[]> {
    const response = await this.call(namesrv, 'topic list', RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER);
    return decodeJson<{ topicList?: string[] }>(response.body, 'topic list').topicList ?? [];
  }

  async deleteTopicInNamesrv(namesrv: string, topic: string, clusterName?: string): Promise<void> {
    await this.call(namesrv, `delete topic ${topic}`, RequestCode.DELETE_TOPIC_IN_NAMESRV, encodeDeleteTopicHeader({ topic, clusterName }));
  }

  // --- consumer groups and broker config (admin) --------------------------------------------------

  async createSubscriptionGroup(broker: string, config: Partial<SubscriptionGroupConfig> & { groupName: string }): Promise<void> {
    await this.call(broker, `create subscription group ${config.groupName}`, RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, encodeJson(config));
  }

  async deleteSubscriptionGroup(broker: string, groupName: string, cleanOffset = false): Promise<void> {
    await this.call(broker, `delete subscription group ${groupName}`, RequestCode.DELETE_SUBSCRIPTIONGROUP, encodeDeleteSubscriptionGroupHeader({ groupName, cleanOffset }));
  }

  async allSubscriptionGroups(broker: string): Promise<SubscriptionGroupConfig[]> {
    const r = await this.call(broker, 'list subscription groups', RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG);
    return Object.values(decodeJson<{ subscriptionGroupTable?: Record<string, SubscriptionGroupConfig> }>(r.body, 'subscription groups').subscriptionGroupTable ?? {});
  }

  async updateBrokerConfig(broker: string, properties: Record<string, string | number | boolean>): Promise<void> {
    const text = Object.entries(properties).map(([k, v]) => `${k}=${v}`).join('\n') + '\n';
    await this.call(broker, 'update broker config', RequestCode.UPDATE_BROKER_CONFIG, undefined, Buffer.from(text, 'utf8'));
  }

  // --- producer ----------------------------------------------------------------------------------

  /** A reply (request-reply) goes with SEND_REPLY_MESSAGE_V2 so the broker pushes it to the requester. */
  private sendRequest(h: SendHeader, body: Buffer, reply: boolean): { code: number; header: HeaderInput; body: Buffer } {
    return {
      code: h.batch ? RequestCode.SEND_BATCH_MESSAGE : reply ? RequestCode.SEND_REPLY_MESSAGE_V2 : RequestCode.SEND_MESSAGE_V2,
      header: encodeSendHeaderV2(h),
      body,
    };
  }

  async sendMessage(broker: string, header: SendHeader, body: Buffer, timeoutMs: number, reply = false): Promise<SendResponse> {
    const req = this.sendRequest(header, body, reply);
    const response = await this.invoke(broker, req.code, req.header, req.body, timeoutMs);
    if (!SEND_OK_CODES.has(response.code)) throw failure(`send to ${header.topic}`, broker, response);
    const h = decodeSendMessageResponseHeader(response.extFields, header.queueId);
    return {
      code: response.code, offsetMsgId: h.msgId, queueId: h.queueId, queueOffset: h.queueOffset, transactionId: h.transactionId, regionId: h.regionId,
      recallHandle: h.recallHandle,
    };
  }

  /** RECALL_MESSAGE: cancels the timer message the handle names; resolves with its message id. */
  async recallMessage(broker: string, header: RecallMessageHeader): Promise<string> {
    const response = await this.call(broker, `recall of a message of ${header.topic}`, RequestCode.RECALL_MESSAGE, encodeRecallMessageHeader(header));
    return response.extFields?.msgId ?? '';
  }

  sendMessageOneway(broker: string, header: SendHeader, body: Buffer, reply = false): Promise<void> {
    const req = this.sendRequest(header, body, reply);
    return this.invokeOneway(broker, req.code, req.header, req.body);
  }

  /** END_TRANSACTION, oneway as Java sends it: commits or rolls back a half message (or says "not known yet"). */
  endTransactionOneway(broker: string, h: EndTransactionHeader): Promise<void> {
    return this.invokeOneway(broker, RequestCode.END_TRANSACTION, encodeEndTransactionHeader(h));
  }

  /** The answer to a broker's CHECK_TRANSACTION_STATE, on the connection the check came on. */
  endTransactionOn(connection: RemotingConnection, h: EndTransactionHeader): void {
    connection.invokeOneway(createRequest(RequestCode.END_TRANSACTION, encodeEndTransactionHeader(h), undefined, this.serializeType));
  }

  // --- consumer ----------------------------------------------------------------------------------

  async pullMessage(broker: string, h: PullMessageHeader, timeoutMs: number): Promise<PullResponse> {
    const response = await this.invoke(broker, RequestCode.PULL_MESSAGE, encodePullMessageHeader(h), undefined, timeoutMs);
    if (!PULL_CODES.has(response.code)) throw failure(`pull ${h.topic}/${h.queueId}`, broker, response);
    const r = decodePullMessageResponseHeader(response.extFields, h.queueOffset);
    return {
      code: response.code,
      remark: response.remark,
      nextBeginOffset: r.nextBeginOffset,
      minOffset: r.minOffset,
      maxOffset: r.maxOffset,
      suggestWhichBrokerId: r.suggestWhichBrokerId,
      body: response.body,
    };
  }

  /** The group's committed offset of a queue, or -1 when the broker has none. */
  async queryConsumerOffset(broker: string, group: string, mq: MessageQueue): Promise<number> {
    const response = await this.invoke(broker, RequestCode.QUERY_CONSUMER_OFFSET, encodeQueryConsumerOffsetHeader({
      consumerGroup: group, topic: mq.topic, queueId: mq.queueId, setZeroIfNotFound: false, brokerName: mq.brokerName,
    }), undefined, 3000);
    if (response.code === ResponseCode.QUERY_NOT_FOUND) return -1;
    if (response.code !== ResponseCode.SUCCESS) throw failure(`consumer offset of ${mq.topic}/${mq.queueId}`, broker, response);
    return decodeOffsetResponseHeader(response.extFields, -1).offset;
  }

  private offsetHeader(group: string, mq: MessageQueue, offset: number): HeaderInput {
    return encodeUpdateConsumerOffsetHeader({ consumerGroup: group, topic: mq.topic, queueId: mq.queueId, commitOffset: offset, brokerName: mq.brokerName });
  }

  updateConsumerOffsetOneway(broker: string, group: string, mq: MessageQueue, offset: number): Promise<void> {
    return this.invokeOneway(broker, RequestCode.UPDATE_CONSUMER_OFFSET, this.offsetHeader(group, mq, offset));
  }

  /** The answered variant, for shutdown: a oneway frame could be lost when the socket closes right after. */
  async updateConsumerOffset(broker: string, group: string, mq: MessageQueue, offset: number): Promise<void> {
    await this.call(broker, `commit offset of ${mq.topic}/${mq.queueId}`, RequestCode.UPDATE_CONSUMER_OFFSET, this.offsetHeader(group, mq, offset));
  }

  async getMaxOffset(broker: string, mq: MessageQueue): Promise<number> {
    const r = await this.call(broker, `max offset of ${mq.topic}/${mq.queueId}`, RequestCode.GET_MAX_OFFSET,
      encodeQueueOffsetHeader({ topic: mq.topic, queueId: mq.queueId, brokerName: mq.brokerName }));
    return decodeOffsetResponseHeader(r.extFields, 0).offset;
  }

  async getMinOffset(broker: string, mq: MessageQueue): Promise<number> {
    const r = await this.call(broker, `min offset of ${mq.topic}/${mq.queueId}`, RequestCode.GET_MIN_OFFSET,
      encodeQueueOffsetHeader({ topic: mq.topic, queueId: mq.queueId, brokerName: mq.brokerName }));
    return decodeOffsetResponseHeader(r.extFields, 0).offset;
  }

  async searchOffset(broker: string, mq: MessageQueue, timestamp: number): Promise<number> {
    const r = await this.call(broker, `offset at ${timestamp} in ${mq.topic}/${mq.queueId}`, RequestCode.SEARCH_OFFSET_BY_TIMESTAMP,
      encodeSearchOffsetHeader({ topic: mq.topic, queueId: mq.queueId, timestamp, brokerName: mq.brokerName }));
    return decodeOffsetResponseHeader(r.extFields, 0).offset;
  }

  async getConsumerIdList(broker: string, group: string): Promise<string[]> {
    const r = await this.invoke(broker, RequestCode.GET_CONSUMER_LIST_BY_GROUP, encodeConsumerGroupHeader({ consumerGroup: group }), undefined, 3000);
    // A broker that has no member yet answers SYSTEM_ERROR "no consumer for this group".
    if (r.code === ResponseCode.SYSTEM_ERROR && /no consumer/i.test(r.remark ?? '')) return [];
    if (r.code !== ResponseCode.SUCCESS) throw failure(`members of ${group}`, broker, r);
    return decodeJson<{ consumerIdList?: string[] }>(r.body, 'consumer list').consumerIdList ?? [];
  }

  /** Sends a heartbeat; resolves with the broker's remoting version. */
  async heartbeat(broker: string, data: HeartbeatData, timeoutMs = 3000): Promise<number> {
    const r = await this.call(broker, 'heartbeat', RequestCode.HEART_BEAT, undefined, encodeJson(data), timeoutMs);
    return r.version;
  }

  async unregisterClient(broker: string, clientId: string, groups: { producerGroup?: string; consumerGroup?: string }): Promise<void> {
    await this.call(broker, 'unregister client', RequestCode.UNREGISTER_CLIENT, encodeUnregisterClientHeader({
      clientId, producerGroup: groups.producerGroup, consumerGroup: groups.consumerGroup,
    }));
  }

  async consumerSendMessageBack(broker: string, h: ConsumerSendBackHeader, timeoutMs = 3000): Promise<void> {
    await this.call(broker, 'send back', RequestCode.CONSUMER_SEND_MSG_BACK, encodeConsumerSendBackHeader(h), undefined, timeoutMs);
  }

  /** LOCK_BATCH_MQ: locks the queues for this client (orderly consumers); resolves with those it now holds. */
  async lockBatchMQ(broker: string, group: string, clientId: string, mqs: readonly MessageQueue[], timeoutMs = 3000): Promise<MessageQueue[]> {
    const r = await this.call(broker, `lock queues of ${group}`, RequestCode.LOCK_BATCH_MQ, undefined,
      encodeJson({ consumerGroup: group, clientId, onlyThisBroker: false, mqSet: mqs }), timeoutMs);
    const locked = decodeJson<{ lockOKMQSet?: MessageQueue[] }>(r.body, 'lock answer').lockOKMQSet ?? [];
    return locked.map((mq) => ({ topic: mq.topic, brokerName: mq.brokerName, queueId: mq.queueId }));
  }

  /** UNLOCK_BATCH_MQ: frees the queues for the group's next owner. */
  async unlockBatchMQ(broker: string, group: string, clientId: string, mqs: readonly MessageQueue[], timeoutMs = 3000): Promise<void> {
    await this.call(broker, `unlock queues of ${group}`, RequestCode.UNLOCK_BATCH_MQ, undefined,
      encodeJson({ consumerGroup: group, clientId, onlyThisBroker: false, mqSet: mqs }), timeoutMs);
  }

  // --- admin -------------------------------------------------------------------------------------

  async createTopic(broker: string, h: CreateTopicRequest): Promise<void> {
    await this.call(broker, `create topic ${h.topic}`, RequestCode.UPDATE_AND_CREATE_TOPIC, encodeCreateTopicHeader(h), undefined, 5000);
  }

  async deleteTopicInBroker(broker: string, topic: string): Promise<void> {
    await this.call(broker, `delete topic ${topic}`, RequestCode.DELETE_TOPIC_IN_BROKER, encodeDeleteTopicHeader({ topic }), undefined, 5000);
  }

  /** INVOKE_BROKER_TO_RESET_OFFSET: the broker moves the group's offsets and tells its online members. */
  async resetOffsetByTime(broker: string, group: string, topic: string, timestamp: number, force: boolean): Promise<QueueOffset[]> {
    const r = await this.call(broker, `reset offsets of ${group} on ${topic}`, RequestCode.INVOKE_BROKER_TO_RESET_OFFSET,
      encodeResetOffsetHeader({ topic, group, timestamp, force }), undefined, 5000);
    return decodeResetOffsetBody(r.body);
  }

  /** Tern's TERN_RAFT_TRANSFER_LEADERSHIP: the remark says where leadership went. */
  async transferRaftLeadership(broker: string): Promise<string> {
    const r = await this.call(broker, 'Raft leadership transfer', RequestCode.TERN_RAFT_TRANSFER_LEADERSHIP, undefined, undefined, 10_000);
    return r.remark ?? '';
  }

  async getBrokerRuntimeInfo(broker: string): Promise<Record<string, string>> {
    const r = await this.call(broker, 'runtime info', RequestCode.GET_BROKER_RUNTIME_INFO);
    return decodeJson<{ table?: Record<string, string> }>(r.body, 'runtime info').table ?? {};
  }
}

/** One shared wait per socket for its write buffer to drain (or the socket to close). */
const drainWaits = new WeakMap<Socket, Promise<void>>();
function drained(socket: Socket): Promise<void> {
  let wait = drainWaits.get(socket);
  if (!wait) {
    wait = new Promise<void>((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        drainWaits.delete(socket);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
    drainWaits.set(socket, wait);
  }
  return wait;
}

function failure(what: string, address: string, response: RemotingCommand): ClientError {
  const remark = response.remark?.trim() || codeName(response.code);
  return new ClientError(`${what} failed at ${address}: ${remark} (code ${response.code})`, { responseCode: response.code, address });
}

function codeName(code: number): string {
  for (const [name, value] of Object.entries(ResponseCode)) if (value === code) return name;
  return `response code ${code}`;
}
