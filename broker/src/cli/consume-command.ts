import { parseArgs } from 'node:util';
import { Admin } from '../client/admin.ts';
import { PushConsumer, type ConsumeFrom } from '../client/push-consumer.ts';
import { credentialOptions, credentialsOption, credentialUsage, intOption, namesrvOption, tlsOption, UsageError } from './cli-error.ts';
import { LatencyRecorder, Progress, renderSummary } from './run-stats.ts';

export const consumeUsage = `tern consume -n NAMESRV -t TOPIC -g GROUP [options]

  -n, --namesrv ADDR      name servers (default $NAMESRV_ADDR or 127.0.0.1:9876)
${credentialUsage}
  -t, --topic TOPIC       topic to read
  -g, --group GROUP       consumer group; its committed offsets decide where reading resumes
      --tag EXPR          subscription expression, e.g. "TagA || TagB" (default *)
      --from WHERE        where a group without offsets starts: first | last (default) | a time
                          (epoch ms or ISO 8601, e.g. 2024-05-01T10:00:00Z)
      --count N           stop after N messages
      --idle-exit SECONDS stop when nothing arrived for SECONDS
      --print keys|bodies one line per message on stdout: its keys (its msgId when it has none) or its body
      --broadcast         BROADCASTING model (offsets kept locally) instead of CLUSTERING
      --pull-batch N      messages per pull (32)

The summary goes to stderr when --print is used, else to stdout.`;

function parseFrom(text: string | undefined): ConsumeFrom {
  if (text === undefined || text === 'last') return 'last';
  if (text === 'first') return 'first';
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new UsageError(`--from wants first, last, epoch milliseconds or an ISO 8601 time; got "${text}"`);
  return { timestamp: ms };
}

/** Buffers stdout lines and writes them in chunks (one write per line is slow on pipes). */
class LineWriter {
  private lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
    if (this.lines.length >= 512) this.flush();
  }
  flush(): void {
    if (this.lines.length === 0) return;
    process.stdout.write(this.lines.join('\n') + '\n');
    this.lines = [];
  }
}

export async function runConsume(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      namesrv: { type: 'string', short: 'n' },
      ...credentialOptions,
      topic: { type: 'string', short: 't' },
      group: { type: 'string', short: 'g' },
      tag: { type: 'string' },
      from: { type: 'string' },
      count: { type: 'string' },
      'idle-exit': { type: 'string' },
      print: { type: 'string' },
      broadcast: { type: 'boolean' },
      'pull-batch': { type: 'string' },
    },
  });
  const topic = values.topic;
  if (!topic) throw new UsageError('consume needs a topic: -t TOPIC');
  if (!values.group) throw new UsageError('consume needs a consumer group: -g GROUP');
  if (values.print !== undefined && values.print !== 'keys' && values.print !== 'bodies') {
    throw new UsageError(`--print wants keys or bodies, got "${values.print}"`);
  }
  const count = values.count === undefined ? undefined : intOption('count', values.count, 1);
  const idleSeconds = values['idle-exit'] === undefined ? undefined : Number(values['idle-exit']);
  if (idleSeconds !== undefined && !(idleSeconds > 0)) throw new UsageError(`--idle-exit wants a positive number of seconds, got "${values['idle-exit']}"`);
  const namesrvAddr = namesrvOption(values.namesrv);
  const credentials = credentialsOption(values);

  // A clear error for a topic that does not exist, instead of waiting for it forever.
  const tls = tlsOption(values);
  const admin = new Admin({ namesrvAddr, credentials, tls });
  try {
    await admin.topicRoute(topic);
  } finally {
    await admin.shutdown();
  }

  const consumer = new PushConsumer({
    namesrvAddr,
    credentials,
    tls,
    group: values.group,
    subscriptions: { [topic]: values.tag ?? '*' },
    messageModel: values.broadcast ? 'BROADCASTING' : 'CLUSTERING',
    consumeFrom: parseFrom(values.from),
    pullBatchSize: intOption('pull-batch', values['pull-batch'], 32),
  });
  const out = values.print ? new LineWriter() : undefined;
  const latency = new LatencyRecorder();
  const progress = new Progress(count, 'msgs');
  let received = 0;
  let bytes = 0;
  let lastArrival = Date.now();
  let why = '';
  const stop = (reason: string) => {
    why ||= reason;
    return consumer.shutdown();
  };
  const onSignal = () => void stop('interrupted');
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const watchdog = idleSeconds === undefined ? undefined : setInterval(() => {
    if (Date.now() - lastArrival >= idleSeconds * 1000) void stop(`nothing arrived for ${idleSeconds} s`);
  }, Math.min(250, idleSeconds * 1000));

  const started = Date.now();
  let endedAt = started;
  try {
    await consumer.start();
    lastArrival = Date.now();
    for await (const msg of consumer.messages()) {
      const now = Date.now();
      lastArrival = now;
      endedAt = now;
      received++;
      bytes += msg.body.length;
      latency.add(Math.max(0, now - msg.storeTimestamp));
      if (out) out.write(values.print === 'keys' ? (msg.keys?.length ? msg.keys.join(' ') : msg.msgId) : msg.body.toString('utf8'));
      if (received % 256 === 0) progress.update(received);
      if (count !== undefined && received >= count) {
        consumer.ack(msg);
        break;
      }
    }
  } finally {
    if (watchdog) clearInterval(watchdog);
    progress.stop();
    out?.flush();
    await stop(count !== undefined && received >= count ? 'count reached' : 'stopped');
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const summary = renderSummary({
    label: values.broadcast ? 'broadcast' : 'cluster', messages: received, bytes,
    elapsedMs: Math.max(1, (received > 0 ? endedAt : Date.now()) - started), latency, latencyName: 'store-to-consume',
  });
  (values.print ? process.stderr : process.stdout).write(summary);
  if (why !== 'count reached') process.stderr.write(`tern: stopped after ${received} message(s): ${why}\n`);
  return why === 'interrupted' ? 130 : 0;
}
