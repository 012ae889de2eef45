import { Counter, Histogram, type Registry } from 'prom-client';
import { CappedLabelValues } from './capped-label-values.ts';

/** Request codes are a table of about 200; a peer sending made-up codes folds into "other" past this. */
const REQUEST_CODE_LABEL_LIMIT = 300;

/** What a RemotingServer reports per answered request (structural, so metrics/ stays free of remoting/). */
interface AnsweredRequestSource {
  onAnswered(listener: (a: { code: number; responseCode: number; ms: number; refusedAs?: string | undefined }) => void): void;
}

/**
 * RocketMQ 5's rpc latency (milliseconds, its buckets) by request and response code, and Tern's count of refused
 * requests by reason (the response code's name). Both label sets are bounded by the protocol's code tables.
 */
export function registerRpcMetrics(registry: Registry, server: AnsweredRequestSource): void {
  const latency = new Histogram({
    name: 'rocketmq_rpc_latency',
    help: 'Milliseconds from a request\'s arrival to its answer, by request and response code.',
    labelNames: ['protocol_type', 'request_code', 'response_code'] as const,
    buckets: [1, 3, 5, 10, 100, 1000, 3000],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'tern_requests_refused_total',
    help: 'Requests answered with a refusal, by request code and reason (the response code\'s name).',
    labelNames: ['request_code', 'reason'] as const,
    registers: [registry],
  });
  const codes = new CappedLabelValues(REQUEST_CODE_LABEL_LIMIT);
  server.onAnswered((a) => {
    const code = codes.value(String(a.code));
    latency.observe({ protocol_type: 'remoting', request_code: code, response_code: String(a.responseCode) }, a.ms);
    if (a.refusedAs !== undefined) refused.inc({ request_code: code, reason: a.refusedAs });
  });
}
