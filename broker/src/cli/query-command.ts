/**
 * `tern admin queryMsgById | queryMsgByKey | queryMsgByUniqueKey`: find messages through the
 * brokers' IndexFiles (QUERY_MESSAGE) or by their offset message id (VIEW_MESSAGE_BY_ID), and print
 * each with its properties, as mqadmin's commands of the same names do.
 */
import { parseArgs } from 'node:util';
import { inflateSync } from 'node:zlib';
import { ClientApi } from '../client/client-api.ts';
import { ClientError } from '../client/client-error.ts';
import { masterAddress } from '../client/topic-route.ts';
import { createLogger } from '../logging/logger.ts';
import { decodeOffsetMsgId } from '../message/message-id.ts';
import { MessageConst } from '../message/properties.ts';
import { decodeStoredMessages, type MessageExt } from '../message/stored-message.ts';
import { MessageSysFlag, compressionType } from '../message/sys-flag.ts';
import { RemotingClient, RequestCode, ResponseCode } from '../remoting/index.ts';
import { signRequest } from '../protocol/request-signature.ts';
import { encodeQueryMessageHeader, encodeViewMessageHeader } from '../protocol/index.ts';
import { credentialOptions, credentialsOption, credentialUsage, intOption, namesrvOption, tlsOption, UsageError } from './cli-error.ts';
import { renderTable } from './table.ts';

export const QUERY_COMMANDS = ['queryMsgById', 'queryMsgByKey', 'queryMsgByUniqueKey'] as const;

export const queryUsage = `tern admin queryMsgById -i OFFSET_MSG_ID[,ID...] [-b BROKER_ADDR]
      the message at that offset id (the msgId a send returns); -b overrides the broker address in the id
  tern admin queryMsgByKey -t TOPIC -k KEY [--begin MS] [--end MS] [-c MAX]
      messages whose KEYS hold KEY, stored within [begin, end] (default: all time), at most MAX (64) per broker
  tern admin queryMsgByUniqueKey -t TOPIC -i UNIQ_KEY
      the message(s) with that client message id (UNIQ_KEY)

  -n, --namesrv ADDR   name servers for the topic route (default $NAMESRV_ADDR or 127.0.0.1:9876)
${credentialUsage}
  --json               print the messages as JSON`;

/** "No upper bound": the query header sends it as Java's Long.MAX_VALUE, as the Java admin does. */
const END_OF_TIME = Number.MAX_SAFE_INTEGER;
const REQUEST_TIMEOUT_MS = 5000;

export async function runQuery(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      namesrv: { type: 'string', short: 'n' },
      ...credentialOptions,
      topic: { type: 'string', short: 't' },
      key: { type: 'string', short: 'k' },
      msgId: { type: 'string', short: 'i' },
      broker: { type: 'string', short: 'b' },
      begin: { type: 'string' },
      end: { type: 'string' },
      maxNum: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
    },
  });
  const credentials = credentialsOption(values);
  const remoting = new RemotingClient({ logger: createLogger('tern'), beforeRequest: credentials && ((r) => signRequest(r, credentials)), tls: tlsOption(values) });
  const api = new ClientApi(remoting);
  try {
    let messages: MessageExt[];
    switch (sub) {
      case 'queryMsgById': {
        if (!values.msgId) throw new UsageError('admin queryMsgById needs -i OFFSET_MSG_ID');
        messages = [];
        for (const id of values.msgId.split(',').map((s) => s.trim()).filter(Boolean)) {
          messages.push(await viewById(api, id, values.broker));
        }
        break;
      }
      case 'queryMsgByKey': {
        if (!values.topic || !values.key) throw new UsageError('admin queryMsgByKey needs -t TOPIC and -k KEY');
        const maxNum = intOption('maxNum', values.maxNum, 64);
        const begin = values.begin ?? '0';
        const end = values.end ?? String(END_OF_TIME);
        for (const [name, v] of [['begin', begin], ['end', end]] as const) {
          if (!/^\d+$/.test(v)) throw new UsageError(`--${name} wants a time in ms since the epoch, got "${v}"`);
        }
        messages = await queryEveryBroker(api, namesrvOption(values.namesrv), values.topic, values.key, maxNum, Number(begin), Number(end), false);
        messages = messages.filter((m) => (m.properties.get(MessageConst.KEYS) ?? '').split(' ').includes(values.key!));
        break;
      }
      case 'queryMsgByUniqueKey': {
        if (!values.topic || !values.msgId) throw new UsageError('admin queryMsgByUniqueKey needs -t TOPIC and -i UNIQ_KEY');
        messages = await queryEveryBroker(api, namesrvOption(values.namesrv), values.topic, values.msgId, 32, 0, END_OF_TIME, true);
        messages = messages.filter((m) => m.properties.get(MessageConst.UNIQ_KEY) === values.msgId);
        break;
      }
      default:
        throw new UsageError(`unknown query command "${sub}"`);
    }
    if (messages.length === 0) throw new ClientError(`no message found${values.topic ? ` in topic ${values.topic}` : ''}`);
    if (values.json) process.stdout.write(JSON.stringify(messages.map(messageJson), null, 2) + '\n');
    else {
      if (messages.length > 1) {
        process.stdout.write(renderTable(['OFFSET MSG ID', 'UNIQ_KEY', 'QUEUE', 'QUEUE OFFSET', 'STORED'],
          messages.map((m) => [m.msgId, m.properties.get(MessageConst.UNIQ_KEY) ?? '', m.queueId, m.queueOffset, new Date(m.storeTimestamp).toISOString()])));
        process.stdout.write('\n');
      }
      process.stdout.write(messages.map(renderMessage).join('\n'));
    }
    return 0;
  } finally {
    await remoting.close();
  }
}

async function viewById(api: ClientApi, msgId: string, brokerOverride: string | undefined): Promise<MessageExt> {
  let decoded;
  try {
    decoded = decodeOffsetMsgId(msgId);
  } catch {
    throw new UsageError(`"${msgId}" is not an offset message id (32 or 56 hex digits); for a client message id use queryMsgByUniqueKey -t TOPIC -i ID`);
  }
  const address = brokerOverride ?? `${decoded.address}:${decoded.port}`;
  const response = await api.invoke(address, RequestCode.VIEW_MESSAGE_BY_ID, encodeViewMessageHeader({ offset: decoded.offset }), undefined, REQUEST_TIMEOUT_MS);
  if (response.code !== ResponseCode.SUCCESS) {
    throw new ClientError(`${address}: ${response.remark ?? `code ${response.code}`}`, { responseCode: response.code, address });
  }
  const [m] = decodeStoredMessages(response.body ?? Buffer.alloc(0));
  if (m === undefined) throw new ClientError(`${address} answered without a message record`, { address });
  return m;
}

/** QUERY_MESSAGE on the master of every broker group of the topic (a slave where there is no master). */
async function queryEveryBroker(
  api: ClientApi, namesrv: string, topic: string, key: string, maxNum: number, begin: number, end: number, unique: boolean,
): Promise<MessageExt[]> {
  const route = await api.getTopicRoute(namesrv, topic, REQUEST_TIMEOUT_MS);
  if (!route) throw new ClientError(`topic ${topic} does not exist`);
  const addresses = route.brokerDatas
    .map((b) => masterAddress(route, b.brokerName) ?? Object.values(b.brokerAddrs)[0])
    .filter((a): a is string => a !== undefined);
  const header = encodeQueryMessageHeader({ topic, key, maxNum, beginTimestamp: begin, endTimestamp: end, uniqueKeyQuery: unique });
  const answers = await Promise.all(addresses.map(async (address) => {
    const response = await api.invoke(address, RequestCode.QUERY_MESSAGE, header, undefined, REQUEST_TIMEOUT_MS);
    if (response.code === ResponseCode.QUERY_NOT_FOUND) return [];
    if (response.code !== ResponseCode.SUCCESS) {
      throw new ClientError(`${address}: ${response.remark ?? `code ${response.code}`}`, { responseCode: response.code, address });
    }
    return decodeStoredMessages(response.body ?? Buffer.alloc(0));
  }));
  return answers.flat().sort((a, b) => a.storeTimestamp - b.storeTimestamp);
}

/** The body as people read it: inflated if zlib-compressed, text if it is UTF-8, else hex. */
function bodyText(m: MessageExt): string {
  let body = m.body;
  if ((m.sysFlag & MessageSysFlag.COMPRESSED_FLAG) !== 0) {
    const type = compressionType(m.sysFlag);
    if (type !== 0 && type !== MessageSysFlag.COMPRESSION_ZLIB_TYPE) {
      return `<${body.length} bytes, compressed with ${type === MessageSysFlag.COMPRESSION_LZ4_TYPE ? 'LZ4' : 'ZSTD'}>`;
    }
    try {
      body = inflateSync(body);
    } catch {
      return `<${body.length} bytes, marked compressed but not zlib>`;
    }
  }
  const text = body.toString('utf8');
  if (!text.includes('\uFFFD') && !/[\u0000-\u0008\u000E-\u001F]/.test(text)) return text;
  const hex = body.subarray(0, 256).toString('hex');
  return `<${body.length} bytes> ${hex}${body.length > 256 ? '...' : ''}`;
}

function renderMessage(m: MessageExt): string {
  const props = [...m.properties.entries()].sort(([a], [b]) => a.localeCompare(b));
  const rows: [string, string][] = [
    ['OffsetID', m.msgId],
    ['Topic', m.topic],
    ['Tags', m.properties.get(MessageConst.TAGS) ?? ''],
    ['Keys', m.properties.get(MessageConst.KEYS) ?? ''],
    ['Unique Key', m.properties.get(MessageConst.UNIQ_KEY) ?? ''],
    ['Queue ID', String(m.queueId)],
    ['Queue Offset', String(m.queueOffset)],
    ['CommitLog Offset', String(m.commitLogOffset)],
    ['Reconsume Times', String(m.reconsumeTimes)],
    ['Born Timestamp', new Date(m.bornTimestamp).toISOString()],
    ['Store Timestamp', new Date(m.storeTimestamp).toISOString()],
    ['Born Host', `${m.bornHost.address}:${m.bornHost.port}`],
    ['Store Host', `${m.storeHost.address}:${m.storeHost.port}`],
    ['System Flag', String(m.sysFlag)],
    ['Body CRC', String(m.bodyCRC)],
    ['Store Size', String(m.storeSize)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length), 'Properties'.length) + 2;
  let out = rows.map(([k, v]) => `${(k + ':').padEnd(width)}${v}\n`).join('');
  out += `${'Properties:'.padEnd(width)}\n`;
  for (const [k, v] of props) out += `  ${k}=${v}\n`;
  out += `${'Message Body:'.padEnd(width)}${bodyText(m)}\n`;
  return out;
}

function messageJson(m: MessageExt): Record<string, unknown> {
  return {
    msgId: m.msgId, topic: m.topic, queueId: m.queueId, queueOffset: m.queueOffset, commitLogOffset: m.commitLogOffset,
    reconsumeTimes: m.reconsumeTimes, bornTimestamp: m.bornTimestamp, storeTimestamp: m.storeTimestamp,
    bornHost: `${m.bornHost.address}:${m.bornHost.port}`, storeHost: `${m.storeHost.address}:${m.storeHost.port}`,
    sysFlag: m.sysFlag, bodyCRC: m.bodyCRC, storeSize: m.storeSize, properties: Object.fromEntries(m.properties), body: bodyText(m),
  };
}
