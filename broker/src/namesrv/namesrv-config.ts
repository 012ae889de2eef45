import type { ConfigSpec } from '../config/properties-file.ts';

export interface NamesrvConfig {
  listenPort: number;
  bindAddress: string;
  /** How often brokers that stopped registering are looked for (RocketMQ 4.x: 10 s). */
  scanNotActiveBrokerInterval: number;
  /** A broker not heard from for this long is dropped, unless it registered its own timeout. */
  brokerChannelExpiredTime: number;
  orderMessageEnable: boolean;
}

export const defaultNamesrvConfig: NamesrvConfig = {
  listenPort: 9876,
  bindAddress: '0.0.0.0',
  scanNotActiveBrokerInterval: 10_000,
  brokerChannelExpiredTime: 120_000,
  orderMessageEnable: false,
};

export const namesrvConfigSpec: ConfigSpec<NamesrvConfig> = {
  listenPort: 'int',
  bindAddress: 'string',
  scanNotActiveBrokerInterval: 'int',
  brokerChannelExpiredTime: 'int',
  orderMessageEnable: 'bool',
};
