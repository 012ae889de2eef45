import { parseFastJson } from './fastjson.ts';
/** Topic route as the namesrv serves it (GET_ROUTEINFO_BY_TOPIC) and cluster info (GET_BROKER_CLUSTER_INFO). */

export interface QueueData {
  brokerName: string;
  readQueueNums: number;
  writeQueueNums: number;
  perm: number;
  topicSysFlag: number;
}

export interface BrokerData {
  cluster: string;
  brokerName: string;
  /** brokerId -> "ip:port"; 0 is the master. */
  brokerAddrs: Record<string, string>;
  enableActingMaster?: boolean;
}

export interface TopicRouteData {
  orderTopicConf?: string;
  queueDatas: QueueData[];
  brokerDatas: BrokerData[];
  filterServerTable: Record<string, string[]>;
}

export interface ClusterInfo {
  brokerAddrTable: Record<string, BrokerData>;
  clusterAddrTable: Record<string, string[]>;
}

export const Perm = { PRIORITY: 8, READ: 4, WRITE: 2, INHERIT: 1 } as const;
export function isReadable(perm: number): boolean {
  return (perm & Perm.READ) !== 0;
}
export function isWriteable(perm: number): boolean {
  return (perm & Perm.WRITE) !== 0;
}
export function permToString(perm: number): string {
  return `${isReadable(perm) ? 'R' : '-'}${isWriteable(perm) ? 'W' : '-'}${perm & Perm.INHERIT ? 'X' : '-'}`;
}

/** Java brokers' map keys are longs; fastjson may emit them unquoted. Standard JSON with quoted keys, compact. */
export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8');
}

export function decodeJson<T>(body: Buffer | undefined, what: string): T {
  if (!body || body.length === 0) throw new Error(`${what}: body is empty`);
  const text = body.toString('utf8');
  try {
    return JSON.parse(text) as T;
  } catch {
    // fastjson may write non-string map keys unquoted ({0:"addr"}) or as objects: parse leniently.
    try {
      return parseFastJson<T>(text);
    } catch (err) {
      throw new Error(`${what}: body is not JSON (${(err as Error).message})`);
    }
  }
}
