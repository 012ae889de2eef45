import { intKey, oneOfKey, stringKey, type ConfigTable } from '../config/config-table.ts';

/**
 * The /metrics keys the broker and the namesrv share, under RocketMQ 5's names and defaults (DISABLE, port 5557):
 * on by default, a second broker or a namesrv on the same host would fail to start on the taken port. PROM is on
 * where Tern owns the host: `tern standalone` and the pods the operator renders.
 */
export const metricsConfigTable = {
  metricsExporterType: oneOfKey(['DISABLE', 'PROM'], {
    default: 'DISABLE',
    doc: 'PROM serves Prometheus text on http://metricsPromExporterHost:metricsPromExporterPort/metrics; DISABLE serves nothing.',
  }),
  metricsPromExporterHost: stringKey({ default: '', doc: 'Interface the /metrics listener binds; empty means bindAddress.' }),
  metricsPromExporterPort: intKey({ default: 5557, min: 0, max: 65535, doc: 'Port of the /metrics listener (0 picks a free one).' }),
  metricsLabelValueLimit: intKey({
    default: 1000, min: 1,
    doc: 'Distinct topic (and consumer group) label values kept per metric; later ones are counted under "other" (Tern only).',
  }),
} satisfies ConfigTable;
