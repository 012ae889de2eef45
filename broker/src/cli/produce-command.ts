import { closeSync, openSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { setTimeout as delay } from 'node:timers/promises';
import type { Message } from '../message/message.ts';
import { Producer } from '../client/producer.ts';
import { SendStatus, type SendResult } from '../client/send-result.ts';
import { credentialOptions, credentialsOption, credentialUsage, intOption, namesrvOption, tlsOption, UsageError } from './cli-error.ts';
import { LatencyRecorder, Progress, renderSummary } from './run-stats.ts';

export const produceUsage = `tern produce -n NAMESRV -t TOPIC [options]

  -n, --namesrv ADDR      name servers, host:port;host:port (default $NAMESRV_ADDR or 127.0.0.1:9876)
${credentialUsage}
  -t, --topic TOPIC       topic to send to (created from TBW102 if the cluster auto-creates topics)
      --count N           messages to send (1000)
      --size BYTES        body size (128)
      --sync              one send at a time per worker, --concurrency workers (default mode, 1 worker)
      --async             a window of --concurrency sends in flight (default window 128)
      --oneway            no acknowledgements: fastest, nothing is confirmed
      --concurrency C     workers (sync) or window size (async, oneway)
      --batch K           send K messages per SEND_BATCH_MESSAGE request
      --tag TAG           tag every message
      --group GROUP       producer group (tern_producer)
      --key-prefix P      keys are P-0, P-1, ... (default: a random prefix, unique per run)
      --ack-log FILE      append "<msgId> <key>" for every SEND_OK, written as each ack arrives
      --timeout MS        send timeout including retries (3000)
      --rate R            at most R messages per second in all (default: as fast as acknowledged), e.g. to
                          keep traffic flowing for count/R seconds while brokers restart
      --allow-unacked     exit 0 even when some messages were not acknowledged (a run meant to go through faults)
      --delay-ms MS       timer messages: each delivered MS ms after the broker stores it (TIMER_DELAY_MS)
      --deliver-at TIME   timer messages: all delivered at TIME, epoch ms or ISO 8601 (TIMER_DELIVER_MS)

Exit codes: 0 every message acknowledged with SEND_OK (oneway: every message written), 1 error, 2 usage mistake,
3 some messages not acknowledged: send errors, timeouts, or stored but answered otherwise than SEND_OK, such as
SLAVE_NOT_AVAILABLE (stderr says how many and why; --allow-unacked makes this 0), 130 stopped by SIGINT/SIGTERM
with every message sent so far acknowledged.`;

type Mode = 'sync' | 'async' | 'oneway';

/** Alphanumeric filler, like the Java benchmark's bodies. */
function makeBody(size: number): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const raw = randomBytes(size);
  for (let i = 0; i < size; i++) raw[i] = alphabet.charCodeAt(raw[i]! % alphabet.length);
  return raw;
}

/** --delay-ms or --deliver-at as send options (at most one of them). */
function timerOption(delayMs: string | undefined, deliverAt: string | undefined): { delayMs: number } | { deliverAt: number } | undefined {
  if (delayMs !== undefined && deliverAt !== undefined) throw new UsageError('give --delay-ms or --deliver-at, not both');
  if (delayMs !== undefined) return { delayMs: intOption('delay-ms', delayMs, 0, 0) };
  if (deliverAt === undefined) return undefined;
  const ms = /^\d+$/.test(deliverAt) ? Number(deliverAt) : Date.parse(deliverAt);
  if (!Number.isFinite(ms)) throw new UsageError(`--deliver-at wants epoch milliseconds or an ISO 8601 time; got "${deliverAt}"`);
  return { deliverAt: ms };
}

export async function runProduce(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      namesrv: { type: 'string', short: 'n' },
      ...credentialOptions,
      topic: { type: 'string', short: 't' },
      count: { type: 'string' },
      size: { type: 'string' },
      sync: { type: 'boolean' },
      async: { type: 'boolean' },
      oneway: { type: 'boolean' },
      concurrency: { type: 'string' },
      batch: { type: 'string' },
      tag: { type: 'string' },
      group: { type: 'string' },
      'key-prefix': { type: 'string' },
      'ack-log': { type: 'string' },
      timeout: { type: 'string' },
      rate: { type: 'string' },
      'allow-unacked': { type: 'boolean' },
      'delay-ms': { type: 'string' },
      'deliver-at': { type: 'string' },
    },
  });
  const topic = values.topic;
  if (!topic) throw new UsageError('produce needs a topic: -t TOPIC');
  const modes = (['sync', 'async', 'oneway'] as const).filter((m) => values[m]);
  if (modes.length > 1) throw new UsageError(`pick one of --sync, --async, --oneway (got ${modes.map((m) => `--${m}`).join(' ')})`);
  const mode: Mode = modes[0] ?? 'sync';
  const count = intOption('count', values.count, 1000);
  const size = intOption('size', values.size, 128);
  const batch = intOption('batch', values.batch, 1);
  const concurrency = intOption('concurrency', values.concurrency, mode === 'sync' ? 1 : 128);
  const timeoutMs = intOption('timeout', values.timeout, 3000);
  const rate = values.rate === undefined ? undefined : intOption('rate', values.rate, 1);
  if (mode === 'oneway' && values['ack-log']) throw new UsageError('--ack-log needs acknowledgements: use --sync or --async');
  if (mode === 'oneway' && batch > 1) throw new UsageError('--batch cannot be combined with --oneway');
  const prefix = values['key-prefix'] ?? randomBytes(4).toString('hex');
  const timer = timerOption(values['delay-ms'], values['deliver-at']);
  if (timer && (batch > 1)) throw new UsageError('--delay-ms / --deliver-at cannot be combined with --batch: timer messages go one by one');

  const producer = new Producer({
    namesrvAddr: namesrvOption(values.namesrv), group: values.group ?? 'tern_producer', sendTimeoutMs: timeoutMs,
    credentials: credentialsOption(values),
    tls: tlsOption(values),
  });
  await producer.start();
  const ackLog = values['ack-log'] ? openSync(values['ack-log'], 'a') : undefined;
  const body = makeBody(size);
  const latency = new LatencyRecorder();
  const progress = new Progress(count, 'msgs');
  const errors = new Map<string, number>();
  /** Stored, but not SEND_OK (e.g. SLAVE_NOT_AVAILABLE: not replicated yet): kept out of the ack log. */
  const notOk = new Map<string, number>();
  let next = 0;
  let sent = 0;
  let failed = 0;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const started = performance.now();
  try {
    // Fails fast, with one clear line, on an unreachable name server or a topic that cannot exist.
    await producer.fetchPublishQueues(topic);

    const message = (i: number): Message => ({ topic, body, keys: [`${prefix}-${i}`], ...(values.tag ? { tags: values.tag } : {}) });
    const logAcks = (result: SendResult, keys: string[]) => {
      if (result.status !== SendStatus.SEND_OK) notOk.set(result.status, (notOk.get(result.status) ?? 0) + keys.length);
      if (ackLog === undefined || result.status !== SendStatus.SEND_OK) return;
      const ids = result.msgId.split(',');
      let lines = '';
      for (let k = 0; k < keys.length; k++) lines += `${ids[k]} ${keys[k]}\n`;
      writeSync(ackLog, lines);
    };

    const worker = async () => {
      while (!interrupted && next < count) {
        const first = next;
        const n = Math.min(batch, count - first);
        next += n;
        if (rate !== undefined) {
          // message i leaves no earlier than i/rate seconds after the start
          const due = started + (first * 1000) / rate - performance.now();
          if (due > 0) await delay(due);
          if (interrupted) break;
        }
        const t0 = performance.now();
        try {
          if (mode === 'oneway') {
            await producer.sendOneway(message(first), timer);
          } else if (n === 1 && batch === 1) {
            logAcks(await producer.send(message(first), timer), [`${prefix}-${first}`]);
          } else {
            const msgs = Array.from({ length: n }, (_, k) => message(first + k));
            logAcks(await producer.sendBatch(msgs), msgs.map((m) => m.keys![0]!));
          }
          latency.add(performance.now() - t0);
          sent += n;
        } catch (err) {
          failed += n;
          const why = (err as Error).message;
          errors.set(why, (errors.get(why) ?? 0) + n);
        }
        progress.update(sent + failed);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    progress.stop();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (ackLog !== undefined) closeSync(ackLog);
    await producer.shutdown();
  }
  const elapsedMs = performance.now() - started;
  for (const [why, n] of errors) process.stderr.write(`tern: ${n} message(s) not sent: ${why}\n`);
  for (const [status, n] of notOk) {
    process.stderr.write(`tern: ${n} message(s) stored but answered ${status}${ackLog !== undefined ? ', so not in the ack log' : ''}\n`);
  }
  process.stdout.write(renderSummary({
    label: `${mode}${batch > 1 ? ` batch ${batch}` : ''}`, messages: sent, failed, bytes: sent * size, elapsedMs, latency,
    latencyName: mode === 'oneway' ? 'write' : 'send',
  }));
  if (interrupted) process.stderr.write(`tern: interrupted after ${sent + failed} of ${count} messages\n`);
  const storedNotOk = [...notOk.values()].reduce((a, b) => a + b, 0);
  const unacked = failed + storedNotOk;
  if (unacked === 0) return interrupted ? 130 : 0;
  process.stderr.write(`tern: ${unacked} of ${sent + failed} message(s) not acknowledged (${failed} not sent, ${storedNotOk} stored but not SEND_OK)`
    + `${values['allow-unacked'] ? '; allowed by --allow-unacked' : ''}\n`);
  // Unacknowledged messages outrank an interruption: a caller that stopped the run must still learn of them.
  if (values['allow-unacked']) return interrupted ? 130 : 0;
  return 3;
}
