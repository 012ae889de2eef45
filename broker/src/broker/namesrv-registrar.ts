import type { Logger } from '../logging/logger.ts';
import { rocketmqCrc32 } from '../message/crc32.ts';
import { encodeJson, encodeRegisterBrokerHeader, encodeUnregisterBrokerHeader, type RegisterBrokerBody, type TopicConfigSerializeWrapper } from '../protocol/index.ts';
import { createRequest, RequestCode, ResponseCode, type RemotingClient } from '../remoting/index.ts';
import type { BrokerConfig } from './broker-config.ts';

export interface RegistrationResult {
  namesrvAddr: string;
  ok: boolean;
  masterAddr?: string | undefined;
  haServerAddr?: string | undefined;
  error?: string;
}

/** Keeps this broker registered with every namesrv: at start, every registerNameServerPeriod, and on topic changes. */
export class NamesrvRegistrar {
  private readonly client: RemotingClient;
  private readonly config: BrokerConfig;
  private readonly brokerAddr: string;
  private readonly haServerAddr: string;
  private readonly topics: () => TopicConfigSerializeWrapper;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> | undefined;
  private stopped = false;
  private readonly onRegistered: ((results: RegistrationResult[]) => void) | undefined;

  constructor(opts: {
    client: RemotingClient; config: BrokerConfig; brokerAddr: string; haServerAddr: string;
    topics: () => TopicConfigSerializeWrapper; log: Logger; onRegistered?: (results: RegistrationResult[]) => void;
  }) {
    this.onRegistered = opts.onRegistered;
    this.client = opts.client;
    this.config = opts.config;
    this.brokerAddr = opts.brokerAddr;
    this.haServerAddr = opts.haServerAddr;
    this.topics = opts.topics;
    this.log = opts.log;
  }

  namesrvAddrs(): string[] {
    return this.config.namesrvAddr.split(';').map((a) => a.trim()).filter((a) => a.length > 0);
  }

  async start(): Promise<void> {
    await this.registerAll();
    this.timer = setInterval(() => void this.registerAll(), this.config.registerNameServerPeriod);
    this.timer.unref();
  }

  /**
   * Topic changes coalesce into one registration that starts right after the current task; the promise settles
   * when the namesrvs answered, so a send that created a topic can answer only once its route exists.
   */
  scheduleRegister(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.pending ??= new Promise<void>((resolve) => queueMicrotask(resolve)).then(async () => {
      this.pending = undefined;
      await this.registerAll();
    });
    return this.pending;
  }

  async registerAll(): Promise<RegistrationResult[]> {
    if (this.stopped) return [];
    const body: RegisterBrokerBody = { topicConfigSerializeWrapper: this.topics(), filterServerList: [] };
    const bytes = encodeJson(body);
    const header = encodeRegisterBrokerHeader({
      brokerAddr: this.brokerAddr,
      brokerId: this.config.brokerId,
      brokerName: this.config.brokerName,
      clusterName: this.config.brokerClusterName,
      haServerAddr: this.haServerAddr,
      compressed: false,
      bodyCrc32: rocketmqCrc32(bytes),
    });
    const results = await Promise.all(this.namesrvAddrs().map(async (addr): Promise<RegistrationResult> => {
      try {
        const resp = await this.client.invoke(addr, createRequest(RequestCode.REGISTER_BROKER, header, bytes), 6000);
        if (resp.code !== ResponseCode.SUCCESS) throw new Error(`code ${resp.code}: ${resp.remark ?? ''}`);
        return { namesrvAddr: addr, ok: true, masterAddr: resp.extFields?.masterAddr, haServerAddr: resp.extFields?.haServerAddr };
      } catch (err) {
        this.log.warn(`register to namesrv ${addr} failed: ${(err as Error).message}`);
        return { namesrvAddr: addr, ok: false, error: (err as Error).message };
      }
    }));
    this.onRegistered?.(results);
    return results;
  }

  async unregisterAll(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    const header = encodeUnregisterBrokerHeader({
      brokerAddr: this.brokerAddr, brokerId: this.config.brokerId, brokerName: this.config.brokerName,
      clusterName: this.config.brokerClusterName,
    });
    await Promise.all(this.namesrvAddrs().map(async (addr) => {
      try {
        await this.client.invoke(addr, createRequest(RequestCode.UNREGISTER_BROKER, header), 3000);
      } catch (err) {
        this.log.warn(`unregister from namesrv ${addr} failed: ${(err as Error).message}`);
      }
    }));
  }
}
