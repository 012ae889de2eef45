import http from 'node:http';
import type { Registry } from 'prom-client';

/** What the listener logs through: the broker's Logger, or the operator's line logger adapted. */
export interface MetricsLog {
  info(message: string): void;
  error(message: string): void;
}

/** GET /metrics answers the registry in Prometheus text format; every other path is a 404. */
export class MetricsHttpServer {
  private readonly server: http.Server;
  private readonly registry: Registry;
  private readonly log: MetricsLog;

  constructor(registry: Registry, log: MetricsLog) {
    this.registry = registry;
    this.log = log;
    this.server = http.createServer((req, res) => void this.answer(req, res));
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', (err) => reject(new Error(`metrics listener cannot bind ${host}:${port}: ${err.message}`)));
      this.server.listen(port, host, () => {
        this.server.removeAllListeners('error');
        this.server.on('error', (err) => this.log.error(`metrics listener: ${err.message}`));
        this.log.info(`metrics served at http://${host}:${this.port}/metrics`);
        resolve();
      });
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at GET /metrics\n');
      return;
    }
    try {
      const text = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType }).end(req.method === 'HEAD' ? undefined : text);
    } catch (err) {
      this.log.error(`collecting metrics failed: ${(err as Error).message}`);
      res.writeHead(500, { 'content-type': 'text/plain' }).end(`collecting metrics failed: ${(err as Error).message}\n`);
    }
  }
}
