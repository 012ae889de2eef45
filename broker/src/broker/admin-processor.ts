import path from 'node:path';
import { applyProperties, checkConfig } from '../config/config-table.ts';
import { parseProperties, toPropertiesText } from '../config/properties-file.ts';
import { diskUsedRatio } from '../store/retention.ts';
import { brokerConfigTable } from './broker-config.ts';
import {
  decodeConsumerGroupHeader, decodeCreateTopicHeader, decodeDeleteSubscriptionGroupHeader, decodeDeleteTopicHeader, decodeJson,
  decodeProducerGroupHeader, decodeTopicHeader, encodeJson, newSubscriptionGroupConfig, newTopicConfig, type SubscriptionGroupConfig,
  validateTopicName, SystemTopic,
} from '../protocol/index.ts';
import { createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingServer } from '../remoting/index.ts';
import type { BrokerContext } from './broker-context.ts';
import type { TpsSampler } from './tps-sampler.ts';

export interface AdminHooks {
  putTps: TpsSampler;
  getTps: TpsSampler;
  /** Timers indexed and delivered per second (RocketMQ's timerEnqueueTps / timerDequeueTps). */
  timerEnqueueTps: TpsSampler;
  timerDequeueTps: TpsSampler;
  /** Run-time config changed: tell the namesrv (a permission change changes routes). */
  configChanged(): void;
}

/** mqadmin-facing requests: topics, broker config and runtime figures, connections. */
export function registerAdminProcessor(server: RemotingServer, ctx: BrokerContext, hooks: AdminHooks): void {
  server.registerProcessor(RequestCode.TERN_RAFT_TRANSFER_LEADERSHIP, async (req) => {
    if (!ctx.raft) throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, `the broker[${ctx.config.brokerName}] is not in Raft (DLedger) mode`);
    const before = ctx.raft.status();
    if (before.role !== 'leader') {
      throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, `${before.selfId} is not the Raft leader of ${ctx.config.brokerName} (leader: ${before.leaderId ?? 'none'})`);
    }
    if (!(await ctx.raft.transferLeadership())) {
      throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, `${before.selfId} could not hand leadership of ${ctx.config.brokerName} to a caught-up follower in time`);
    }
    return createResponse(req, ResponseCode.SUCCESS, `leadership moved from ${before.selfId} to ${ctx.raft.status().leaderId ?? 'an elected follower'}`);
  });
  server.registerProcessor(RequestCode.UPDATE_AND_CREATE_TOPIC, (req) => {
    const h = decodeCreateTopicHeader(req.extFields);
    const topic = h.topic;
    const invalid = validateTopicName(topic);
    if (invalid) throw new RequestRefusedError(ResponseCode.INVALID_PARAMETER, `The specified topic is not allowed: ${invalid}`);
    if (topic === ctx.config.brokerClusterName || topic === SystemTopic.SCHEDULE) {
      throw new RequestRefusedError(ResponseCode.INVALID_PARAMETER, `The specified topic ${topic} is a system topic and cannot be changed`);
    }
    const { readQueueNums, writeQueueNums, perm } = h;
    for (const [name, n] of [['readQueueNums', readQueueNums], ['writeQueueNums', writeQueueNums]] as const) {
      if (n < 1 || n > 65535) throw new RequestRefusedError(ResponseCode.INVALID_PARAMETER, `${name} must be within 1..65535, got ${n}`);
    }
    if (perm < 0 || perm > 7) throw new RequestRefusedError(ResponseCode.INVALID_PARAMETER, `perm must be within 0..7, got ${perm}`);
    ctx.topics.createOrUpdate(newTopicConfig(topic, {
      readQueueNums, writeQueueNums, perm, topicFilterType: h.topicFilterType, topicSysFlag: h.topicSysFlag, order: h.order,
    }));
    return createResponse(req, ResponseCode.SUCCESS);
  });

  server.registerProcessor(RequestCode.DELETE_TOPIC_IN_BROKER, (req) => {
    const { topic } = decodeDeleteTopicHeader(req.extFields);
    if (Object.values(SystemTopic).includes(topic as never)) {
      throw new RequestRefusedError(ResponseCode.INVALID_PARAMETER, `The topic ${topic} is a system topic and cannot be deleted`);
    }
    ctx.topics.delete(topic);
    ctx.offsets.removeTopic(topic);
    ctx.store.deleteTopic(topic);
    return createResponse(req, ResponseCode.SUCCESS);
  });

  server.registerProcessor(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, (req) => {
    const body = decodeJson<Partial<SubscriptionGroupConfig>>(req.body, 'subscription group body');
    if (!body.groupName) throw new RequestRefusedError(ResponseCode.INVALID_PARAMETER, 'subscription group body needs groupName');
    ctx.groups.update(newSubscriptionGroupConfig(body.groupName, body));
    return createResponse(req, ResponseCode.SUCCESS);
  });

  server.registerProcessor(RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG, (req) =>
    createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeJson(ctx.groups.wrapper())));

  server.registerProcessor(RequestCode.DELETE_SUBSCRIPTIONGROUP, (req) => {
    const { groupName: group, cleanOffset } = decodeDeleteSubscriptionGroupHeader(req.extFields);
    ctx.groups.delete(group);
    if (cleanOffset) {
      for (const topic of ctx.offsets.topicsOfGroup(group)) ctx.offsets.removeGroupFromTopic(group, topic);
    }
    return createResponse(req, ResponseCode.SUCCESS);
  });

  // mqadmin updateBrokerConfig: keys that take effect at once (others need a restart and are refused).
  server.registerProcessor(RequestCode.UPDATE_BROKER_CONFIG, (req) => {
    const props = parseProperties(req.body?.toString('utf8') ?? '');
    const live = new Set(['brokerPermission', 'autoCreateTopicEnable', 'autoCreateSubscriptionGroup', 'slaveReadEnable', 'recallMessageEnable',
      'accessMessageInMemoryMaxRatio', 'enablePropertyFilter', 'notifyConsumerIdsChangedEnable', 'longPollingEnable']);
    const notLive = [...props.keys()].filter((k) => !live.has(k));
    if (notLive.length > 0) {
      throw new RequestRefusedError(ResponseCode.INVALID_PARAMETER, `cannot change ${notLive.join(', ')} at run time (changeable: ${[...live].join(', ')})`);
    }
    let updated;
    try {
      updated = applyProperties(brokerConfigTable, ctx.config, props).config;
    } catch (err) {
      throw new RequestRefusedError(ResponseCode.INVALID_PARAMETER, (err as Error).message);
    }
    const problems = checkConfig(brokerConfigTable, updated, props.keys());
    if (problems.length > 0) throw new RequestRefusedError(ResponseCode.INVALID_PARAMETER, problems.join('; '));
    Object.assign(ctx.config, updated);
    ctx.log.info(`broker config updated: ${[...props].map(([k, v]) => `${k}=${v}`).join(', ')}`);
    hooks.configChanged();
    return createResponse(req, ResponseCode.SUCCESS);
  });

  // mqadmin deleteExpiredCommitLog: run the retention clean-up now instead of at deleteWhen.
  server.registerProcessor(RequestCode.TRIGGER_DELETE_FILES, (req) => {
    ctx.store.executeDeleteFilesManually();
    return createResponse(req, ResponseCode.SUCCESS);
  });

  server.registerProcessor(RequestCode.GET_ALL_TOPIC_CONFIG, (req) =>
    createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeJson(ctx.topics.serializeWrapper())));

  // 5.x tools (topicStatus, consumerProgress) read one topic's config first; static-topic mapping is absent.
  server.registerProcessor(RequestCode.GET_TOPIC_CONFIG, (req) => {
    const { topic } = decodeTopicHeader(req.extFields);
    const tc = ctx.topics.select(topic);
    if (!tc) throw new RequestRefusedError(ResponseCode.TOPIC_NOT_EXIST, `No topic in this broker. topic: ${topic}`);
    return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeJson(tc));
  });

  server.registerProcessor(RequestCode.GET_TOPIC_NAME_LIST, (req) =>
    createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeJson({ topicList: ctx.topics.all().map((t) => t.topicName) })));

  server.registerProcessor(RequestCode.GET_BROKER_CONFIG, (req) =>
    createResponse(req, ResponseCode.SUCCESS, undefined, { version: encodeJson(ctx.topics.getDataVersion()).toString() },
      Buffer.from(toPropertiesText(ctx.config), 'utf8')));

  server.registerProcessor(RequestCode.GET_BROKER_RUNTIME_INFO, (req) =>
    createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeJson({ table: runtimeInfo(ctx, hooks) })));

  server.registerProcessor(RequestCode.GET_CONSUMER_CONNECTION_LIST, (req) => {
    const group = decodeConsumerGroupHeader(req.extFields).consumerGroup;
    const info = ctx.consumers.get(group);
    if (!info) throw new RequestRefusedError(ResponseCode.CONSUMER_NOT_ONLINE, `the consumer group[${group}] not online`);
    return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeJson({
      connectionSet: [...info.channels.values()].map((c) => ({
        clientId: c.clientId, clientAddr: c.connection.remoteAddress, language: c.language, version: c.version,
      })),
      subscriptionTable: Object.fromEntries(info.subscriptions),
      consumeType: info.consumeType,
      messageModel: info.messageModel,
      consumeFromWhere: info.consumeFromWhere,
    }));
  });

  server.registerProcessor(RequestCode.GET_PRODUCER_CONNECTION_LIST, (req) => {
    const group = decodeProducerGroupHeader(req.extFields).producerGroup;
    return createResponse(req, ResponseCode.SUCCESS, undefined, undefined, encodeJson({
      connectionSet: ctx.producers.channels(group).map((c) => ({
        clientId: c.clientId, clientAddr: c.connection.remoteAddress, language: c.language, version: c.version,
      })),
    }));
  });
}

/** The KVTable of GET_BROKER_RUNTIME_INFO, with the keys mqadmin clusterList reads. */
export function runtimeInfo(ctx: BrokerContext, hooks: AdminHooks): Record<string, string> {
  const s = ctx.store.runtimeStats();
  const now = Date.now();
  const ha: Record<string, string> = {};
  if (ctx.haMaster) {
    const replicas = ctx.haMaster.replicaInfo();
    ha.haConnectedSlaves = String(replicas.length);
    ha.haSlaveLagBytes = String(replicas.length ? Math.max(...replicas.map((r) => r.lagBytes)) : 0);
    // RocketMQ's name (HARuntimeInfo): slaves that count for a SYNC_MASTER's acks; 0 means sends get SLAVE_NOT_AVAILABLE.
    ha.inSyncSlaveNums = String(replicas.filter((r) => r.inSync).length);
    for (const r of replicas) ha[`haSlave.${r.address}.lagBytes`] = String(r.lagBytes);
  }
  if (ctx.haSlave) {
    ha.haMasterAddress = ctx.haSlave.masterAddress ?? '';
    ha.haReplicaLagBytes = String(ctx.haSlave.lagBytes);
  }
  if (ctx.raft) {
    const r = ctx.raft.status();
    Object.assign(ha, {
      dLegerSelfId: r.selfId, dLegerRole: r.role, dLegerTerm: String(r.term), dLegerLeaderId: r.leaderId ?? '',
      dLegerCommitIndex: String(r.commitIndex), dLegerAppliedIndex: String(r.appliedIndex), dLegerLastIndex: String(r.lastIndex),
      commitLogConfirmOffset: String(r.confirmOffset),
    });
  }
  return {
    ...ha,
    brokerVersionDesc: 'V5_3_3',
    brokerVersion: '479',
    brokerImpl: 'tern',
    brokerRole: ctx.config.brokerRole,
    flushDiskType: ctx.config.flushDiskType,
    bootTimestamp: String(ctx.startedAt),
    runtime: formatUptime(now - ctx.startedAt),
    putTps: hooks.putTps.describe(),
    getTransferredTps: hooks.getTps.describe(),
    msgPutTotalTodayNow: String(s.putMessageTimesTotal),
    msgGetTotalTodayNow: String(ctx.stats.pulledMessages),
    msgPutTotalTodayMorning: String(ctx.daily.todayMorning.put),
    msgGetTotalTodayMorning: String(ctx.daily.todayMorning.get),
    msgPutTotalYesterdayMorning: String(ctx.daily.yesterdayMorning.put),
    msgGetTotalYesterdayMorning: String(ctx.daily.yesterdayMorning.get),
    commitLogMinOffset: String(ctx.store.getCommitLogMinOffset()),
    commitLogMaxOffset: String(ctx.store.getCommitLogMaxOffset()),
    putMessageSizeTotal: String(s.putMessageSizeTotal),
    earliestMessageTimeStamp: String(ctx.store.getEarliestMessageTimeOfStore() ?? 0),
    heldPullRequests: String(ctx.pullHold.size),
    brokerActive: 'true',
    // Fraction of the CommitLog's disk in use, as RocketMQ reports it (mqadmin brokerStatus/clusterList read it).
    commitLogDiskRatio: String(diskUsedRatio(ctx.config.storePathCommitLog || path.join(ctx.config.storePathRootDir, 'commitlog'))),
    sendThreadPoolQueueSize: '0',
    pullThreadPoolQueueSize: '0',
    sendThreadPoolQueueHeadWaitTimeMills: '0',
    pullThreadPoolQueueHeadWaitTimeMills: '0',
    pageCacheLockTimeMills: '0',
    ...timerRuntimeInfo(ctx),
    timerEnqueueTps: hooks.timerEnqueueTps.tps(10).toFixed(2),
    timerDequeueTps: hooks.timerDequeueTps.tps(10).toFixed(2),
  };
}

/** The timer wheel's state: RocketMQ's timer keys plus Tern's pending counts (tern admin timerStatus prints them). */
function timerRuntimeInfo(ctx: BrokerContext): Record<string, string> {
  const t = ctx.timer.stats();
  const byTopic = ctx.timer.pendingByTopic();
  return {
    timerOffsetBehind: String(ctx.timer.offsetBehind()),
    timerReadBehind: String(t.lagMs),
    timerPending: String(t.pending),
    timerNextDueMs: String(t.nextDueMs),
    timerDeliveredUpToMs: String(t.deliveredUpToMs),
    timerLogBytes: String(t.timerLogBytes),
    timerEnqueued: String(t.enqueued),
    timerDelivered: String(t.delivered),
    timerRecalled: String(t.recalled),
    timerRolled: String(t.rolled),
    timerPendingByTopic: JSON.stringify(Object.fromEntries(byTopic.counts)),
    timerPendingByTopicScanned: String(byTopic.scanned),
  };
}

function formatUptime(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `[ ${Math.floor(s / 86400)} days, ${Math.floor((s % 86400) / 3600)} hours, ${Math.floor((s % 3600) / 60)} minutes, ${s % 60} seconds ]`;
}
