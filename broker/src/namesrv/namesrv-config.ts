import { boolKey, defaultsOf, intKey, stringKey, type ConfigOf, type ConfigTable } from '../config/config-table.ts';
import { metricsConfigTable } from '../metrics/metrics-config.ts';
import { authConfigTable } from '../auth/auth-config.ts';
import { tlsConfigTable } from '../auth/tls-config.ts';

/** namesrv.conf, under RocketMQ's key names. */
export const namesrvConfigTable = {
  listenPort: intKey({ default: 9876, min: 0, max: 65535, doc: 'Port for brokers and clients.' }),
  bindAddress: stringKey({ default: '0.0.0.0', doc: 'Interface the port listens on.' }),
  scanNotActiveBrokerInterval: intKey({ default: 10_000, min: 1, doc: 'Ms between looks for brokers that stopped registering (RocketMQ 4.x: 10 s).' }),
  brokerChannelExpiredTime: intKey({ default: 120_000, min: 1, doc: 'Ms of silence after which a broker is dropped, unless it registered its own timeout.' }),
  orderMessageEnable: boolKey({ default: false, doc: 'Put a topic\'s ORDER_TOPIC_CONFIG KV entry into its route.' }),
  ...metricsConfigTable,
  ...authConfigTable,
  ...tlsConfigTable,
} satisfies ConfigTable;

export type NamesrvConfig = ConfigOf<typeof namesrvConfigTable>;

export const defaultNamesrvConfig: Readonly<NamesrvConfig> = defaultsOf(namesrvConfigTable);
