import { parseArgs } from 'node:util';
import { Admin, type BrokerSummary } from '../client/admin.ts';
import { Perm, permToString } from '../protocol/index.ts';
import { credentialOptions, credentialsOption, credentialUsage, intOption, namesrvOption, tlsOption, UsageError } from './cli-error.ts';
import { renderKeyValues, renderTable } from './table.ts';

export const adminUsage = `tern admin <command> [options]          (flags as in mqadmin)

  updateTopic   -t TOPIC (-c CLUSTER | -b BROKER_ADDR) [-r READ_QUEUES] [-w WRITE_QUEUES] [-p PERM] [-o]
                create or update a topic (8 read / 8 write queues, perm 6 = read+write; -o marks it ordered)
  deleteTopic   -t TOPIC [-c CLUSTER]     delete from the masters (of CLUSTER, or all) and the name servers
  topicList                               all topics the name servers know
  topicRoute    -t TOPIC [--json]         brokers and queues of a topic
  topicStatus   -t TOPIC                  min / max offset of every queue
  consumerProgress -g GROUP -t TOPIC      committed offset and lag of a group, per queue
  resetOffsetByTime -g GROUP -t TOPIC -s TIME [-f false]
                                          move the group to TIME: now, epoch ms or ISO 8601 (-f false: only backwards)
  clusterList                             brokers with version, TPS and today's counts
  brokerStatus  -b BROKER_ADDR            the broker's runtime key/values
  raftStatus                              Raft (DLedger) groups: each member's role, term, commit and applied index
  transferLeadership -b LEADER_ADDR       a Raft leader hands leadership to its most caught-up follower
  timerStatus   -b BROKER_ADDR            timer messages: pending per topic, next due, the wheel's lag (Tern)
  recall        -t TOPIC -i MSG_ID        cancel a timer message not yet delivered (its UNIQ_KEY, as send printed)

  -n, --namesrv ADDR   name servers (default $NAMESRV_ADDR or 127.0.0.1:9876)
${credentialUsage}`;

/** -s for resetOffsetByTime: now, epoch milliseconds or an ISO 8601 time. */
function parseTime(text: string | undefined): number {
  if (text === undefined) throw new UsageError('admin resetOffsetByTime needs -s TIME (now, epoch ms or ISO 8601)');
  if (text === 'now') return Date.now();
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new UsageError(`-s wants now, epoch milliseconds or an ISO 8601 time; got "${text}"`);
  return ms;
}

export async function runAdmin(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === 'help' || sub === '--help' || sub === '-h') {
    process.stdout.write(adminUsage + '\n');
    return sub ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      namesrv: { type: 'string', short: 'n' },
      ...credentialOptions,
      topic: { type: 'string', short: 't' },
      cluster: { type: 'string', short: 'c' },
      broker: { type: 'string', short: 'b' },
      read: { type: 'string', short: 'r' },
      write: { type: 'string', short: 'w' },
      perm: { type: 'string', short: 'p' },
      order: { type: 'boolean', short: 'o' },
      json: { type: 'boolean' },
      group: { type: 'string', short: 'g' },
      timestamp: { type: 'string', short: 's' },
      force: { type: 'string', short: 'f' },
      id: { type: 'string', short: 'i' },
    },
  });
  const needTopic = () => {
    if (!values.topic) throw new UsageError(`admin ${sub} needs -t TOPIC`);
    return values.topic;
  };
  const admin = new Admin({ namesrvAddr: namesrvOption(values.namesrv), credentials: credentialsOption(values), tls: tlsOption(values) });
  try {
    switch (sub) {
      case 'updateTopic': {
        const topic = needTopic();
        if (!values.cluster && !values.broker) throw new UsageError('admin updateTopic needs -c CLUSTER or -b BROKER_ADDR');
        const perm = intOption('perm', values.perm, Perm.READ | Perm.WRITE, 0);
        if (perm > 7) throw new UsageError(`-p wants a permission from 0 to 7 (2 write, 4 read, 6 both), got ${perm}`);
        const readQueueNums = intOption('read', values.read, 8);
        const writeQueueNums = intOption('write', values.write, 8);
        const brokers = await admin.createTopic(topic, {
          readQueueNums, writeQueueNums, perm, order: values.order ?? false,
          ...(values.broker ? { brokerAddr: values.broker } : { clusterName: values.cluster! }),
        });
        process.stdout.write(renderTable(['TOPIC', 'BROKER', 'READ', 'WRITE', 'PERM'],
          brokers.map((b) => [topic, b, readQueueNums, writeQueueNums, permToString(perm)])));
        return 0;
      }
      case 'deleteTopic': {
        const topic = needTopic();
        await admin.deleteTopic(topic, values.cluster ? { clusterName: values.cluster } : {});
        process.stdout.write(`deleted topic ${topic}${values.cluster ? ` from cluster ${values.cluster}` : ''}\n`);
        return 0;
      }
      case 'topicList': {
        const topics = (await admin.topicList()).sort();
        process.stdout.write(topics.map((t) => t + '\n').join(''));
        return 0;
      }
      case 'topicRoute': {
        const route = await admin.topicRoute(needTopic());
        if (values.json) {
          process.stdout.write(JSON.stringify(route, null, 2) + '\n');
          return 0;
        }
        const rows = [...route.queueDatas]
          .sort((a, b) => a.brokerName.localeCompare(b.brokerName))
          .map((qd) => {
            const bd = route.brokerDatas.find((b) => b.brokerName === qd.brokerName);
            const addrs = Object.entries(bd?.brokerAddrs ?? {}).map(([id, addr]) => `${id}=${addr}`).join(' ');
            return [qd.brokerName, bd?.cluster ?? '', addrs, qd.readQueueNums, qd.writeQueueNums, permToString(qd.perm)];
          });
        process.stdout.write(renderTable(['BROKER', 'CLUSTER', 'ADDRESSES (id=addr)', 'READ', 'WRITE', 'PERM'], rows));
        return 0;
      }
      case 'topicStatus': {
        const status = await admin.topicStatus(needTopic());
        process.stdout.write(renderTable(['BROKER', 'QUEUE', 'MIN OFFSET', 'MAX OFFSET', 'MESSAGES'],
          status.map((q) => [q.brokerName, q.queueId, q.minOffset, q.maxOffset, q.maxOffset - q.minOffset])));
        return 0;
      }
      case 'consumerProgress': {
        if (!values.group) throw new UsageError('admin consumerProgress needs -g GROUP');
        const rows = await admin.consumerProgress(values.group, needTopic());
        process.stdout.write(renderTable(['BROKER', 'QUEUE', 'BROKER OFFSET', 'CONSUMER OFFSET', 'LAG'],
          rows.map((r) => [r.brokerName, r.queueId, r.brokerOffset, r.consumerOffset, r.lag])));
        const lag = rows.reduce((sum, r) => sum + r.lag, 0);
        process.stdout.write(`total lag: ${lag}\n`);
        return 0;
      }
      case 'resetOffsetByTime': {
        if (!values.group) throw new UsageError('admin resetOffsetByTime needs -g GROUP');
        const topic = needTopic();
        const when = parseTime(values.timestamp);
        if (values.force !== undefined && values.force !== 'true' && values.force !== 'false') {
          throw new UsageError(`-f wants true or false, got "${values.force}"`);
        }
        const table = await admin.resetOffsetByTime(values.group, topic, when, { force: values.force !== 'false' });
        process.stdout.write(renderTable(['BROKER', 'QUEUE', 'NEW OFFSET'], table.map((e) => [e.mq.brokerName, e.mq.queueId, e.offset])));
        return 0;
      }
      case 'clusterList': {
        const rows = await admin.clusterList();
        process.stdout.write(renderTable(
          ['CLUSTER', 'BROKER', 'BID', 'ADDRESS', 'VERSION', 'IN TPS', 'OUT TPS', 'IN TODAY', 'OUT TODAY', 'REPLICATION', 'STATUS'],
          rows.map((r) => [r.cluster, r.brokerName, r.brokerId, r.address, r.version, r.putTps, r.getTps, r.putToday, r.getToday,
            describeReplication(r), r.error ? `unreachable: ${r.error}` : 'ok']),
        ));
        return 0;
      }
      case 'brokerStatus': {
        if (!values.broker) throw new UsageError('admin brokerStatus needs -b BROKER_ADDR');
        const table = await admin.brokerRuntimeInfo(values.broker);
        process.stdout.write(renderKeyValues(Object.entries(table).sort(([a], [b]) => a.localeCompare(b))));
        return 0;
      }
      case 'raftStatus': {
        const rows: string[][] = [];
        for (const b of await admin.clusterList()) {
          const t = b.error ? {} : await admin.brokerRuntimeInfo(b.address).catch(() => ({} as Record<string, string>));
          if (!t.dLegerSelfId && !b.error) continue;
          rows.push([b.brokerName, t.dLegerSelfId ?? '?', b.address, t.dLegerRole ?? (b.error ? `unreachable: ${b.error}` : '?'), t.dLegerTerm ?? '',
            t.dLegerLeaderId ?? '', t.dLegerLastIndex ?? '', t.dLegerCommitIndex ?? '', t.dLegerAppliedIndex ?? '', t.commitLogConfirmOffset ?? '']);
        }
        process.stdout.write(renderTable(['BROKER', 'MEMBER', 'ADDRESS', 'ROLE', 'TERM', 'LEADER', 'LAST INDEX', 'COMMIT', 'APPLIED', 'CONFIRMED BYTES'], rows));
        return 0;
      }
      case 'transferLeadership': {
        if (!values.broker) throw new UsageError('admin transferLeadership needs -b LEADER_ADDR');
        process.stdout.write(`${await admin.transferRaftLeadership(values.broker)}\n`);
        return 0;
      }
      case 'timerStatus': {
        if (!values.broker) throw new UsageError('admin timerStatus needs -b BROKER_ADDR');
        const table = await admin.brokerRuntimeInfo(values.broker);
        if (table.timerPending === undefined) throw new Error(`${values.broker} reports no timer state (not a Tern broker?)`);
        const when = (ms: string | undefined) => (Number(ms) > 0 ? new Date(Number(ms)).toISOString() : '-');
        process.stdout.write(renderKeyValues([
          ['pending timers', table.timerPending],
          ['next due', when(table.timerNextDueMs)],
          ['delivered up to', when(table.timerDeliveredUpToMs)],
          ['wheel lag (ms)', table.timerReadBehind ?? '0'],
          ['not yet indexed', table.timerOffsetBehind ?? '0'],
          ['timer log bytes', table.timerLogBytes ?? '0'],
          ['enqueue / delivery rate (per s, last 10 s)', `${table.timerEnqueueTps ?? '0'} / ${table.timerDequeueTps ?? '0'}`],
          ['enqueued / delivered / recalled / rolled since start',
            [table.timerEnqueued, table.timerDelivered, table.timerRecalled, table.timerRolled].map((v) => v ?? '0').join(' / ')],
        ]));
        const byTopic = Object.entries(JSON.parse(table.timerPendingByTopic ?? '{}') as Record<string, number>).sort(([a], [b]) => a.localeCompare(b));
        process.stdout.write(renderTable(['TOPIC', 'PENDING TIMERS'], byTopic));
        const scanned = Number(table.timerPendingByTopicScanned ?? 0);
        // Past 10,000 the broker counts per topic at most once a minute, and over at most 100,000 timers.
        if (scanned >= 10_000) process.stdout.write(`(per topic: counted over ${scanned} of the pending timers, up to a minute ago)\n`);
        return 0;
      }
      case 'recall': {
        const topic = needTopic();
        if (!values.id) throw new UsageError('admin recall needs -i MSG_ID (the UNIQ_KEY the send printed)');
        const r = await admin.recall(topic, values.id);
        process.stdout.write(`recalled ${values.id} of ${topic} on ${r.brokerName} (it was due at ${new Date(r.dueAt).toISOString()})\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown admin command "${sub}"; see tern admin help`);
    }
  } finally {
    await admin.shutdown();
  }
}

/** "2 slaves, lag 0 B" on a master, "lag 1.2 MiB" on a slave (its own distance behind the master). */
function describeReplication(r: BrokerSummary): string {
  const rep = r.replication;
  if (!rep) return '-';
  if (rep.role === 'master') return `${rep.slaves} slave${rep.slaves === 1 ? '' : 's'}, lag ${formatBytes(rep.maxLagBytes)}`;
  return rep.master ? `lag ${formatBytes(rep.lagBytes)}` : 'no master';
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
