import fs from 'node:fs';
import { BrokerController } from '../../src/broker/broker-controller.ts';
import { defaultBrokerConfig, type BrokerConfig } from '../../src/broker/broker-config.ts';
import { createLogger } from '../../src/logging/logger.ts';
import { tempDir } from '../../src/harness/temp-dir.ts';
import { NamesrvController } from '../../src/namesrv/namesrv-controller.ts';
import { defaultNamesrvConfig, type NamesrvConfig } from '../../src/namesrv/namesrv-config.ts';

/** A real namesrv and broker in this process, on ephemeral ports of 127.0.0.1, with a store in a temp dir. */
export interface LocalCluster {
  namesrv: NamesrvController;
  broker: BrokerController;
  namesrvAddr: string;
  brokerAddr: string;
  storeDir: string;
  /** Stops the broker gracefully and starts a new one on the same store and port. */
  restartBroker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalCluster(overrides: Partial<BrokerConfig> = {}, namesrvOverrides: Partial<NamesrvConfig> = {}): Promise<LocalCluster> {
  const namesrv = new NamesrvController({ ...defaultNamesrvConfig, listenPort: 0, bindAddress: '127.0.0.1', ...namesrvOverrides }, createLogger('namesrv'));
  await namesrv.start();
  const namesrvAddr = `127.0.0.1:${namesrv.port}`;
  const storeDir = overrides.storePathRootDir ?? tempDir();
  const config: BrokerConfig = {
    ...defaultBrokerConfig(),
    brokerName: 'broker-a',
    brokerIP1: '127.0.0.1',
    bindAddress: '127.0.0.1',
    listenPort: 0,
    namesrvAddr,
    storePathRootDir: storeDir,
    mappedFileSizeCommitLog: 64 * 1024 * 1024,
    ...overrides,
  };
  let broker = new BrokerController(config, createLogger('broker'));
  await broker.start();
  const cluster: LocalCluster = {
    namesrv,
    get broker() { return broker; },
    namesrvAddr,
    get brokerAddr() { return broker.brokerAddr; },
    storeDir,
    async restartBroker() {
      const port = broker.port;
      await broker.shutdown();
      broker = new BrokerController({ ...config, listenPort: port }, createLogger('broker'));
      await broker.start();
    },
    async stop() {
      await broker.shutdown();
      await namesrv.shutdown();
      fs.rmSync(storeDir, { recursive: true, force: true });
    },
  };
  return cluster;
}
