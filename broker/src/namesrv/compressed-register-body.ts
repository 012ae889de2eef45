import zlib from 'node:zlib';
import type { DataVersion, RegisterBrokerBody, TopicConfig } from '../protocol/index.ts';

/**
 * The compressed REGISTER_BROKER body (compressed=true): a deflate stream of length-prefixed parts,
 * each topic as "name readQ writeQ perm FILTERTYPE {attrs}". Java brokers send it only when configured to.
 */
export function zlibInflateRegisterBody(body: Buffer): RegisterBrokerBody {
  const raw = zlib.inflateSync(body);
  let pos = 0;
  const readString = () => {
    const len = raw.readInt32BE(pos);
    pos += 4;
    const s = raw.toString('utf8', pos, pos + len);
    pos += len;
    return s;
  };
  const dataVersion = JSON.parse(readString()) as DataVersion;
  const count = raw.readInt32BE(pos);
  pos += 4;
  const topicConfigTable: Record<string, TopicConfig> = {};
  for (let i = 0; i < count; i++) {
    const parts = readString().split(' ');
    const [name, r, w, perm, filterType] = parts;
    const attrs = parts.slice(5).join(' ');
    topicConfigTable[name!] = {
      topicName: name!, readQueueNums: Number(r), writeQueueNums: Number(w), perm: Number(perm),
      topicFilterType: filterType === 'MULTI_TAG' ? 'MULTI_TAG' : 'SINGLE_TAG', topicSysFlag: 0, order: false,
      attributes: attrs ? (JSON.parse(attrs) as Record<string, string>) : {},
    };
  }
  const filterServerList = JSON.parse(readString()) as string[];
  return { topicConfigSerializeWrapper: { dataVersion, topicConfigTable }, filterServerList };
}
