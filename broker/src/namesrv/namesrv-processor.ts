import {
  createResponse, RequestCode, RequestRefusedError, ResponseCode, type RemotingCommand, type RemotingConnection,
  type RemotingServer,
} from '../remoting/index.ts';
import {
  decodeDeleteTopicHeader, decodeGetRouteInfoHeader, decodeGetTopicsByClusterHeader, decodeJson, decodeKvKeyHeader,
  decodeKvNamespaceHeader, decodeKvPutHeader, decodeQueryDataVersionHeader, decodeRegisterBrokerHeader, decodeUnregisterBrokerHeader,
  decodeWipeWritePermHeader, encodeJson, type DataVersion, type RegisterBrokerBody,
} from '../protocol/index.ts';
import { zlibInflateRegisterBody } from './compressed-register-body.ts';
import type { RouteInfoManager } from './route-info-manager.ts';

/** KV config (PUT/GET/DELETE_KV_CONFIG): namespace -> key -> value, used for ORDER_TOPIC_CONFIG. */
export class KvConfigTable {
  private readonly table = new Map<string, Map<string, string>>();
  put(ns: string, key: string, value: string): void {
    let m = this.table.get(ns);
    if (!m) this.table.set(ns, (m = new Map()));
    m.set(key, value);
  }
  get(ns: string, key: string): string | undefined {
    return this.table.get(ns)?.get(key);
  }
  delete(ns: string, key: string): void {
    this.table.get(ns)?.delete(key);
  }
  list(ns: string): Record<string, string> | undefined {
    const m = this.table.get(ns);
    return m ? Object.fromEntries(m) : undefined;
  }
}

const ok = (req: RemotingCommand, header?: Record<string, string | number | boolean | undefined>, body?: Buffer) =>
  createResponse(req, ResponseCode.SUCCESS, undefined, header, body);

/** Registers the namesrv's request handlers: thin decode -> route table -> encode. */
export function registerNamesrvProcessors(
  server: RemotingServer,
  routes: RouteInfoManager,
  kv: KvConfigTable,
  orderMessageEnable: boolean,
): void {
  server.registerProcessor(RequestCode.REGISTER_BROKER, (req, conn) => {
    const h = decodeRegisterBrokerHeader(req.extFields);
    let body: RegisterBrokerBody | undefined;
    if (req.body && req.body.length > 0) {
      if (h.compressed) body = zlibInflateRegisterBody(req.body);
      else body = decodeJson<RegisterBrokerBody>(req.body, 'REGISTER_BROKER body');
    }
    const result = routes.registerBroker({
      clusterName: h.clusterName,
      brokerName: h.brokerName,
      brokerAddr: h.brokerAddr,
      brokerId: h.brokerId,
      haServerAddr: h.haServerAddr,
      heartbeatTimeoutMillis: h.heartbeatTimeoutMillis,
      dataVersion: body?.topicConfigSerializeWrapper?.dataVersion ?? { counter: 0, stateVersion: 0, timestamp: 0 },
      topicConfigTable: body?.topicConfigSerializeWrapper?.topicConfigTable ?? {},
      connectionId: conn,
    });
    const orderConf = kv.list('ORDER_TOPIC_CONFIG');
    return ok(req, { haServerAddr: result.haServerAddr, masterAddr: result.masterAddr }, orderConf ? encodeJson({ table: orderConf }) : undefined);
  });

  server.registerProcessor(RequestCode.UNREGISTER_BROKER, (req) => {
    const h = decodeUnregisterBrokerHeader(req.extFields);
    routes.unregisterBroker(h.clusterName, h.brokerName, h.brokerAddr, h.brokerId);
    return ok(req);
  });

  server.registerProcessor(RequestCode.QUERY_DATA_VERSION, (req) => {
    const version = decodeJson<DataVersion>(req.body, 'QUERY_DATA_VERSION body');
    const result = routes.queryDataVersion(decodeQueryDataVersionHeader(req.extFields).brokerAddr, version);
    return ok(req, { changed: result.changed }, result.stored ? encodeJson(result.stored) : undefined);
  });

  server.registerProcessor(RequestCode.GET_ROUTEINFO_BY_TOPIC, (req) => {
    const { topic } = decodeGetRouteInfoHeader(req.extFields);
    const route = routes.getRouteInfo(topic);
    if (!route) {
      throw new RequestRefusedError(ResponseCode.TOPIC_NOT_EXIST, `No topic route info in name server for the topic: ${topic}`);
    }
    if (orderMessageEnable) {
      const conf = kv.get('ORDER_TOPIC_CONFIG', topic);
      if (conf) route.orderTopicConf = conf;
    }
    // Compact standard JSON: the Go client splits brokerAddrs on ',' and ':' and must not meet spaces.
    return ok(req, undefined, encodeJson(route));
  });

  server.registerProcessor(RequestCode.GET_BROKER_CLUSTER_INFO, (req) => ok(req, undefined, encodeJson(routes.getClusterInfo())));

  server.registerProcessor(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER, (req) => ok(req, undefined, encodeJson({ topicList: routes.getAllTopics() })));

  server.registerProcessor(RequestCode.GET_TOPICS_BY_CLUSTER, (req) =>
    ok(req, undefined, encodeJson({ topicList: routes.getTopicsByCluster(decodeGetTopicsByClusterHeader(req.extFields).cluster) })));

  server.registerProcessor(RequestCode.DELETE_TOPIC_IN_NAMESRV, (req) => {
    const h = decodeDeleteTopicHeader(req.extFields);
    routes.deleteTopic(h.topic, h.clusterName);
    return ok(req);
  });

  server.registerProcessor(RequestCode.WIPE_WRITE_PERM_OF_BROKER, (req) =>
    ok(req, { wipeTopicCount: routes.wipeWritePerm(decodeWipeWritePermHeader(req.extFields).brokerName) }));

  server.registerProcessor(RequestCode.PUT_KV_CONFIG, (req) => {
    const h = decodeKvPutHeader(req.extFields);
    kv.put(h.namespace, h.key, h.value);
    return ok(req);
  });
  server.registerProcessor(RequestCode.GET_KV_CONFIG, (req) => {
    const h = decodeKvKeyHeader(req.extFields);
    const value = kv.get(h.namespace, h.key);
    if (value === undefined) {
      throw new RequestRefusedError(ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${h.namespace} Key: ${h.key}`);
    }
    return ok(req, { value });
  });
  server.registerProcessor(RequestCode.DELETE_KV_CONFIG, (req) => {
    const h = decodeKvKeyHeader(req.extFields);
    kv.delete(h.namespace, h.key);
    return ok(req);
  });
  server.registerProcessor(RequestCode.GET_KVLIST_BY_NAMESPACE, (req) => {
    const ns = decodeKvNamespaceHeader(req.extFields).namespace;
    const table = kv.list(ns);
    if (!table) throw new RequestRefusedError(ResponseCode.QUERY_NOT_FOUND, `No config item, Namespace: ${ns}`);
    return ok(req, undefined, encodeJson({ table }));
  });

  server.onConnection((conn: RemotingConnection, event) => {
    if (event === 'close') routes.onConnectionClosed(conn);
  });
}
