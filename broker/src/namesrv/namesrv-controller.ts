import os from 'node:os';
import { createLogger, type Logger } from '../logging/logger.ts';
import { RemotingServer } from '../remoting/index.ts';
import type { NamesrvConfig } from './namesrv-config.ts';
import { KvConfigTable, registerNamesrvProcessors } from './namesrv-processor.ts';
import { RouteInfoManager } from './route-info-manager.ts';
import { MetricsHttpServer } from '../metrics/metrics-http-server.ts';
import { namesrvMetricsRegistry } from './namesrv-metrics.ts';
import { ServerSecurity } from '../auth/server-security.ts';
import { tlsServerSettings } from '../auth/tls-config.ts';

/** A running name server: the route table, its request handlers and the liveness scan. */
export class NamesrvController {
  readonly config: NamesrvConfig;
  readonly routes: RouteInfoManager;
  private readonly server: RemotingServer;
  private readonly log: Logger;
  private scanTimer: NodeJS.Timeout | undefined;
  private metricsServer: MetricsHttpServer | undefined;
  private readonly security: ServerSecurity;

  constructor(config: NamesrvConfig, log: Logger = createLogger('namesrv')) {
    this.config = config;
    this.log = log;
    this.routes = new RouteInfoManager(log, config.brokerChannelExpiredTime);
    this.server = new RemotingServer({
      port: config.listenPort, host: config.bindAddress, logger: log, frameTimeoutMs: 30_000, tls: tlsServerSettings(config),
    });
    registerNamesrvProcessors(this.server, this.routes, new KvConfigTable(), config.orderMessageEnable);
    this.security = new ServerSecurity(this.server, config, undefined, log);
  }

  get port(): number {
    return this.server.port;
  }

  /** Port of /metrics, or undefined when metricsExporterType is DISABLE. */
  get metricsPort(): number | undefined {
    return this.metricsServer?.port;
  }

  async start(): Promise<void> {
    await this.server.listen();
    const c = this.config;
    if (c.metricsExporterType === 'PROM') {
      this.metricsServer = new MetricsHttpServer(namesrvMetricsRegistry(this.routes, this.server, `${os.hostname()}:${this.port}`), this.log);
      try {
        await this.metricsServer.listen(c.metricsPromExporterPort, c.metricsPromExporterHost || c.bindAddress);
      } catch (err) {
        await this.server.shutdown(0);
        throw err;
      }
    }
    this.scanTimer = setInterval(() => this.routes.scanNotActiveBroker(), this.config.scanNotActiveBrokerInterval);
    this.scanTimer.unref();
    this.log.info(`namesrv listening on ${this.config.bindAddress}:${this.port}`);
  }

  async shutdown(): Promise<void> {
    if (this.scanTimer) clearInterval(this.scanTimer);
    await this.server.shutdown();
    this.security.close();
    await this.metricsServer?.close();
    this.log.info('namesrv stopped');
  }
}
