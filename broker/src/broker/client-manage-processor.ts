import {
  decodeJson, decodeUnregisterClientHeader, normalizeHeartbeat, retryTopic, type HeartbeatData,
} from '../protocol/index.ts';
import { createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingServer } from '../remoting/index.ts';
import type { BrokerContext } from './broker-context.ts';
import { subscriptionFilter } from './pull-message-processor.ts';

/** HEART_BEAT, UNREGISTER_CLIENT, CHECK_CLIENT_CONFIG: who is connected, in which groups, subscribed to what. */
export function registerClientManageProcessor(server: RemotingServer, ctx: BrokerContext): void {
  server.registerProcessor(RequestCode.HEART_BEAT, async (req, conn) => {
    let heartbeat: HeartbeatData;
    try {
      heartbeat = normalizeHeartbeat(decodeJson<unknown>(req.body, 'HEART_BEAT body'));
    } catch (err) {
      throw new RequestRefusedError(ResponseCode.SYSTEM_ERROR, `bad heartbeat: ${(err as Error).message}`);
    }
    let registering = false;
    const channel = {
      clientId: heartbeat.clientID, connection: conn, language: req.language, version: req.version, lastUpdate: Date.now(),
    };
    for (const consumer of heartbeat.consumerDataSet) {
      if (!consumer.groupName) continue;
      if (!ctx.groups.findOrCreate(consumer.groupName)) {
        throw new RequestRefusedError(ResponseCode.SUBSCRIPTION_GROUP_NOT_EXIST, `subscription group not exist, ${consumer.groupName}`);
      }
      // Every consumer group gets its retry topic at its first heartbeat, and the namesrv learns of it.
      const retryKnown = ctx.topics.select(retryTopic(consumer.groupName)) !== undefined;
      ctx.topics.createRetryTopicIfAbsent(consumer.groupName);
      if (!retryKnown) registering = true;
      ctx.consumers.register(consumer, channel);
    }
    for (const producer of heartbeat.producerDataSet) {
      if (producer.groupName) ctx.producers.register(producer.groupName, channel);
    }
    if (registering) await ctx.registerNow();
    return createResponse(req, ResponseCode.SUCCESS);
  });

  server.registerProcessor(RequestCode.UNREGISTER_CLIENT, (req) => {
    const { clientId, producerGroup, consumerGroup } = decodeUnregisterClientHeader(req.extFields);
    if (producerGroup) ctx.producers.unregister(producerGroup, clientId);
    if (consumerGroup) ctx.consumers.unregister(consumerGroup, clientId);
    return createResponse(req, ResponseCode.SUCCESS);
  });

  server.registerProcessor(RequestCode.CHECK_CLIENT_CONFIG, (req) => {
    const body = decodeJson<{ subscriptionData?: { expressionType?: string; subString?: string } }>(req.body, 'CHECK_CLIENT_CONFIG body');
    // A consumer whose expression this broker cannot apply must fail to start, as with RocketMQ.
    subscriptionFilter(ctx, body.subscriptionData?.expressionType ?? 'TAG', body.subscriptionData?.subString ?? '*');
    return createResponse(req, ResponseCode.SUCCESS);
  });
}
