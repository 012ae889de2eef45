import { isReadable, isWriteable, type BrokerData, type TopicRouteData } from '../protocol/index.ts';
import { compareQueues, type MessageQueue } from './message-queue.ts';

export const MASTER_ID = '0';

/** The master's address of a broker group in a route, if it has a live master. */
export function masterAddress(route: TopicRouteData, brokerName: string): string | undefined {
  return route.brokerDatas.find((b) => b.brokerName === brokerName)?.brokerAddrs[MASTER_ID];
}

/**
 * Writable queues of a topic, on brokers with a master (Java's topicRouteData2TopicPublishInfo),
 * ordered by broker name then queue id.
 */
export function publishQueues(topic: string, route: TopicRouteData): MessageQueue[] {
  const out: MessageQueue[] = [];
  const queueDatas = [...route.queueDatas].sort((a, b) => (a.brokerName < b.brokerName ? -1 : a.brokerName > b.brokerName ? 1 : 0));
  for (const qd of queueDatas) {
    if (!isWriteable(qd.perm) || masterAddress(route, qd.brokerName) === undefined) continue;
    for (let i = 0; i < qd.writeQueueNums; i++) out.push({ topic, brokerName: qd.brokerName, queueId: i });
  }
  return out;
}

/** Readable queues of a topic (what consumers divide among themselves), sorted. */
export function subscribeQueues(topic: string, route: TopicRouteData): MessageQueue[] {
  const out: MessageQueue[] = [];
  for (const qd of route.queueDatas) {
    if (!isReadable(qd.perm)) continue;
    for (let i = 0; i < qd.readQueueNums; i++) out.push({ topic, brokerName: qd.brokerName, queueId: i });
  }
  return out.sort(compareQueues);
}

/** Every broker address in a route: masters and slaves. */
export function allBrokerAddresses(route: TopicRouteData): string[] {
  const out: string[] = [];
  for (const b of route.brokerDatas) for (const addr of Object.values(b.brokerAddrs)) if (addr) out.push(addr);
  return out;
}

/**
 * The route of the auto-create template (TBW102) turned into a route for `topic`, with queue counts
 * capped as the Java producer does (defaultTopicQueueNums).
 */
export function routeFromTemplate(template: TopicRouteData, maxQueues: number): TopicRouteData {
  return {
    ...template,
    queueDatas: template.queueDatas.map((qd) => ({
      ...qd,
      readQueueNums: Math.min(maxQueues, qd.readQueueNums),
      writeQueueNums: Math.min(maxQueues, qd.writeQueueNums),
    })),
  };
}

export function brokerDataOf(route: TopicRouteData, brokerName: string): BrokerData | undefined {
  return route.brokerDatas.find((b) => b.brokerName === brokerName);
}
