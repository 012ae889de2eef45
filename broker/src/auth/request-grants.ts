import { decodeJson, normalizeHeartbeat } from '../protocol/index.ts';
import { RequestCode, type RemotingCommand } from '../remoting/index.ts';

/** ACL 2.0's actions and resource types. */
export const ACTIONS = ['All', 'Pub', 'Sub', 'Create', 'Update', 'Delete', 'Get', 'List'] as const;
export type Action = (typeof ACTIONS)[number];
export type ResourceType = 'Topic' | 'Group' | 'Cluster';

/** One thing a request needs: any of `actions` on the resource. */
export interface Need {
  type: ResourceType;
  name: string;
  actions: readonly Action[];
}

/** 'public': any signed user may ask (no resource is touched); otherwise what the request needs, read from it. */
export type Grant = 'public' | 'super' | ((request: RemotingCommand) => Need[]);

const RETRY_PREFIX = '%RETRY%';
const field = (r: RemotingCommand, name: string) => r.extFields?.[name] ?? '';
const cluster = (...actions: Action[]): Grant => () => [{ type: 'Cluster', name: '*', actions }];
const group = (name: string, ...actions: Action[]): Need => ({ type: 'Group', name, actions });

/** A topic, or for a retry topic its consumer group: using %RETRY%g is consuming as g. */
function topic(name: string, ...actions: Action[]): Need {
  return name.startsWith(RETRY_PREFIX) ? group(name.slice(RETRY_PREFIX.length), 'Sub', ...actions.filter((a) => a !== 'Sub' && a !== 'Pub')) : { type: 'Topic', name, actions };
}
const onTopic = (fieldName: string, ...actions: Action[]): Grant => (r) => [topic(field(r, fieldName), ...actions)];
const onGroup = (fieldName: string, ...actions: Action[]): Grant => (r) => [group(field(r, fieldName), ...actions)];
const topicAndGroup = (topicField: string, groupField: string, ...actions: Action[]): Grant => (r) =>
  [topic(field(r, topicField), ...actions), group(field(r, groupField), ...actions)];

function heartbeatNeeds(r: RemotingCommand): Need[] {
  const needs: Need[] = [];
  for (const c of normalizeHeartbeat(decodeJson<unknown>(r.body, 'heartbeat body')).consumerDataSet) {
    needs.push(group(c.groupName, 'Sub'));
    for (const s of c.subscriptionDataSet) if (!s.topic.startsWith(RETRY_PREFIX)) needs.push(topic(s.topic, 'Sub'));
  }
  return needs;
}

function lockNeeds(r: RemotingCommand): Need[] {
  const body = decodeJson<{ consumerGroup?: string; mqSet?: { topic?: string }[] }>(r.body, 'lock batch body');
  const topics = new Set((body.mqSet ?? []).map((q) => q.topic ?? ''));
  return [group(body.consumerGroup ?? '', 'Sub'), ...[...topics].filter((t) => !t.startsWith(RETRY_PREFIX)).map((t) => topic(t, 'Sub'))];
}

function sendNeeds(topicField: string, groupField: string): Grant {
  return (r) => {
    const t = field(r, topicField);
    // A send to a retry topic is a consumer handing a message back: it needs Sub on its group.
    if (t.startsWith(RETRY_PREFIX)) return [group(field(r, groupField) || t.slice(RETRY_PREFIX.length), 'Sub')];
    return [topic(t, 'Pub')];
  };
}

/**
 * What every request code Tern serves needs, after RocketMQ 5.3's mapping: data requests need Pub / Sub on their
 * topic and group, admin requests Create / Update / Delete / Get / List on the topic, group or cluster. A code
 * missing here is refused to every user but a super user (a test checks that every RequestCode is listed).
 */
export const REQUEST_GRANTS: Readonly<Record<number, Grant>> = {
  [RequestCode.SEND_MESSAGE]: sendNeeds('topic', 'producerGroup'),
  // A reply is published on the requester's reply topic, as RocketMQ grants it (Pub).
  [RequestCode.SEND_REPLY_MESSAGE]: sendNeeds('topic', 'producerGroup'),
  [RequestCode.SEND_REPLY_MESSAGE_V2]: sendNeeds('b', 'a'),
  [RequestCode.SEND_MESSAGE_V2]: sendNeeds('b', 'a'),
  // Cancelling a timer message is publishing on its topic, as RocketMQ 5.4 grants it.
  [RequestCode.RECALL_MESSAGE]: onTopic('topic', 'Pub'),
  [RequestCode.SEND_BATCH_MESSAGE]: sendNeeds('b', 'a'),
  [RequestCode.END_TRANSACTION]: (r) => (field(r, 'topic') ? [topic(field(r, 'topic'), 'Pub')] : []),
  [RequestCode.CONSUMER_SEND_MSG_BACK]: onGroup('group', 'Sub'),
  [RequestCode.PULL_MESSAGE]: topicAndGroup('topic', 'consumerGroup', 'Sub'),
  [RequestCode.LITE_PULL_MESSAGE]: topicAndGroup('topic', 'consumerGroup', 'Sub'),
  [RequestCode.QUERY_CONSUMER_OFFSET]: topicAndGroup('topic', 'consumerGroup', 'Sub', 'Get'),
  [RequestCode.UPDATE_CONSUMER_OFFSET]: topicAndGroup('topic', 'consumerGroup', 'Sub', 'Update'),
  [RequestCode.GET_CONSUMER_LIST_BY_GROUP]: onGroup('consumerGroup', 'Sub', 'Get'),
  [RequestCode.HEART_BEAT]: heartbeatNeeds,
  [RequestCode.UNREGISTER_CLIENT]: (r) => (field(r, 'consumerGroup') ? [group(field(r, 'consumerGroup'), 'Sub')] : []),
  [RequestCode.LOCK_BATCH_MQ]: lockNeeds,
  [RequestCode.UNLOCK_BATCH_MQ]: lockNeeds,
  [RequestCode.CHECK_CLIENT_CONFIG]: onGroup('group', 'Sub'),
  [RequestCode.GET_ROUTEINFO_BY_TOPIC]: onTopic('topic', 'Pub', 'Sub', 'Get'),
  [RequestCode.QUERY_MESSAGE]: onTopic('topic', 'Sub', 'Get'),
  [RequestCode.VIEW_MESSAGE_BY_ID]: (r) => (field(r, 'topic') ? [topic(field(r, 'topic'), 'Sub', 'Get')] : [{ type: 'Cluster', name: '*', actions: ['Get'] }]),
  [RequestCode.QUERY_BROKER_OFFSET]: cluster('Get'),
  [RequestCode.SEARCH_OFFSET_BY_TIMESTAMP]: onTopic('topic', 'Sub', 'Get'),
  [RequestCode.GET_MAX_OFFSET]: onTopic('topic', 'Sub', 'Get'),
  [RequestCode.GET_MIN_OFFSET]: onTopic('topic', 'Sub', 'Get'),
  [RequestCode.GET_EARLIEST_MSG_STORETIME]: onTopic('topic', 'Sub', 'Get'),
  [RequestCode.GET_TOPIC_STATS_INFO]: onTopic('topic', 'Get'),
  [RequestCode.GET_TOPIC_CONFIG]: onTopic('topic', 'Get'),
  [RequestCode.QUERY_TOPIC_CONSUME_BY_WHO]: onTopic('topic', 'Get'),
  [RequestCode.GET_CONSUME_STATS]: onGroup('consumerGroup', 'Get'),
  [RequestCode.GET_CONSUMER_CONNECTION_LIST]: onGroup('consumerGroup', 'Get'),
  [RequestCode.GET_PRODUCER_CONNECTION_LIST]: onGroup('producerGroup', 'Get'),
  [RequestCode.GET_CONSUMER_RUNNING_INFO]: onGroup('consumerGroup', 'Get'),
  // Admin: topics and groups.
  [RequestCode.UPDATE_AND_CREATE_TOPIC]: onTopic('topic', 'Create', 'Update'),
  [RequestCode.DELETE_TOPIC_IN_BROKER]: onTopic('topic', 'Delete'),
  [RequestCode.DELETE_TOPIC_IN_NAMESRV]: onTopic('topic', 'Delete'),
  [RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP]: (r) =>
    [group(decodeJson<{ groupName?: string }>(r.body, 'subscription group body').groupName ?? '', 'Create', 'Update')],
  [RequestCode.DELETE_SUBSCRIPTIONGROUP]: onGroup('groupName', 'Delete'),
  [RequestCode.INVOKE_BROKER_TO_RESET_OFFSET]: topicAndGroup('topic', 'group', 'Update'),
  [RequestCode.RESET_CONSUMER_CLIENT_OFFSET]: topicAndGroup('topic', 'group', 'Update'),
  // Admin: the cluster itself (configuration, registration, listings of everything).
  [RequestCode.UPDATE_BROKER_CONFIG]: cluster('Update'),
  [RequestCode.TERN_RAFT_TRANSFER_LEADERSHIP]: cluster('Update'),
  [RequestCode.WIPE_WRITE_PERM_OF_BROKER]: cluster('Update'),
  [RequestCode.TRIGGER_DELETE_FILES]: cluster('Update'),
  [RequestCode.PUT_KV_CONFIG]: cluster('Update'),
  [RequestCode.DELETE_KV_CONFIG]: cluster('Update'),
  [RequestCode.REGISTER_BROKER]: cluster('Update'),
  [RequestCode.UNREGISTER_BROKER]: cluster('Update'),
  [RequestCode.REGISTER_TOPIC_IN_NAMESRV]: cluster('Update'),
  [RequestCode.QUERY_DATA_VERSION]: cluster('Update'),
  [RequestCode.GET_ALL_TOPIC_CONFIG]: cluster('List'),
  [RequestCode.GET_TOPIC_CONFIG_LIST]: cluster('List'),
  [RequestCode.GET_TOPIC_NAME_LIST]: cluster('List'),
  [RequestCode.GET_ALL_SUBSCRIPTIONGROUP_CONFIG]: cluster('List'),
  [RequestCode.GET_ALL_CONSUMER_OFFSET]: cluster('List'),
  [RequestCode.GET_ALL_DELAY_OFFSET]: cluster('List'),
  [RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER]: cluster('List'),
  [RequestCode.GET_TOPICS_BY_CLUSTER]: cluster('List'),
  [RequestCode.GET_KVLIST_BY_NAMESPACE]: cluster('Get'),
  [RequestCode.GET_KV_CONFIG]: cluster('Get'),
  [RequestCode.GET_BROKER_CONFIG]: cluster('Get'),
  [RequestCode.GET_BROKER_RUNTIME_INFO]: cluster('Get'),
  [RequestCode.GET_BROKER_CLUSTER_INFO]: 'public',
  // Sent by servers to clients, never the other way: only a super user may send them to a server.
  [RequestCode.CHECK_TRANSACTION_STATE]: cluster('Update'),
  [RequestCode.NOTIFY_CONSUMER_IDS_CHANGED]: cluster('Update'),
  [RequestCode.PUSH_REPLY_MESSAGE_TO_CLIENT]: cluster('Update'),
  // Users and ACLs: RocketMQ asks Cluster Update / Get; Tern lets only super users see or change them.
  [RequestCode.AUTH_CREATE_USER]: 'super',
  [RequestCode.AUTH_UPDATE_USER]: 'super',
  [RequestCode.AUTH_DELETE_USER]: 'super',
  [RequestCode.AUTH_GET_USER]: 'super',
  [RequestCode.AUTH_LIST_USER]: 'super',
  [RequestCode.AUTH_CREATE_ACL]: 'super',
  [RequestCode.AUTH_UPDATE_ACL]: 'super',
  [RequestCode.AUTH_DELETE_ACL]: 'super',
  [RequestCode.AUTH_GET_ACL]: 'super',
  [RequestCode.AUTH_LIST_ACL]: 'super',
};
