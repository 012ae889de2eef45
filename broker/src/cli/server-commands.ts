import path from 'node:path';
import { parseArgs } from 'node:util';
import { BrokerController } from '../broker/broker-controller.ts';
import { brokerConfigTable, defaultBrokerConfig, validateBrokerConfig, type BrokerConfig } from '../broker/broker-config.ts';
import { applyProperties, checkConfig, describeConfig, type ConfigOf, type ConfigTable } from '../config/config-table.ts';
import { ConfigError, readPropertiesFile } from '../config/properties-file.ts';
import { createLogger } from '../logging/logger.ts';
import { NamesrvController } from '../namesrv/namesrv-controller.ts';
import { defaultNamesrvConfig, namesrvConfigTable, type NamesrvConfig } from '../namesrv/namesrv-config.ts';
import { renderTable } from './table.ts';

const log = createLogger('tern');

/**
 * Defaults, then `-c FILE`, then options given on the command line as key/value pairs. Unknown keys in the
 * file are warned about; a value that does not parse is refused (ConfigError naming the key).
 */
function loadConfig<Table extends ConfigTable>(
  table: Table,
  defaults: ConfigOf<Table>,
  file: string | undefined,
  overrides: Record<string, string | undefined>,
): ConfigOf<Table> {
  let config = { ...defaults };
  if (file) {
    const loaded = applyProperties(table, config, readPropertiesFile(file));
    // Single quotes: a JSON log line escapes double ones, and people grep for this text.
    for (const key of loaded.unknownKeys) log.warn(`${file}: unknown config key '${key}' ignored`);
    config = loaded.config;
  }
  const given = Object.entries(overrides).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  return applyProperties(table, config, new Map(given)).config;
}

function refuseProblems(what: string, problems: string[]): void {
  if (problems.length > 0) throw new ConfigError(`invalid ${what} config: ${problems.join('; ')}`);
}

function checkBroker(config: BrokerConfig): BrokerConfig {
  refuseProblems('broker', validateBrokerConfig(config));
  return config;
}

/** --print-config: every key, its effective value and its default, then exit without starting anything. */
function printConfig<Table extends ConfigTable>(table: Table, config: ConfigOf<Table>): void {
  const rows = describeConfig(table, config).map((r) => [r.key, String(r.value), String(r.default), r.doc]);
  process.stdout.write(renderTable(['KEY', 'VALUE', 'DEFAULT', 'DESCRIPTION'], rows));
}

/**
 * Listens from the moment it is called, so a SIGTERM that Kubernetes sends while the store is still recovering is
 * not lost (nor fatal): the returned function waits for the first SIGTERM or SIGINT, then runs the graceful stop.
 */
function stopOnSignal(): (stop: () => Promise<void>) => Promise<void> {
  let starting = true;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      log.info(starting ? `${signal} received while starting: shutting down once started` : `${signal} received: shutting down`);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return async (stop) => {
    starting = false;
    await signalled;
    try {
      await stop();
    } catch (err) {
      log.error(`shutdown failed: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  };
}

export async function runNamesrv(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' }, 'print-config': { type: 'boolean' },
      // The operator's pods pass these: the namesrv has no config file there.
      metricsExporterType: { type: 'string' }, metricsPromExporterPort: { type: 'string' },
    },
  });
  const config: NamesrvConfig = loadConfig(namesrvConfigTable, defaultNamesrvConfig, values.config, {
    listenPort: values.port, metricsExporterType: values.metricsExporterType, metricsPromExporterPort: values.metricsPromExporterPort,
  });
  refuseProblems('namesrv', checkConfig(namesrvConfigTable, config));
  if (values['print-config']) return printConfig(namesrvConfigTable, config);
  const untilSignal = stopOnSignal();
  const namesrv = new NamesrvController(config);
  await namesrv.start();
  await untilSignal(() => namesrv.shutdown());
}

export async function runBroker(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      namesrvAddr: { type: 'string', short: 'n' },
      // RocketMQ's mqbroker -p; the namesrv cannot take it (its -p is the port).
      'print-config': { type: 'boolean', short: 'p' },
    },
  });
  const config = checkBroker(loadConfig(brokerConfigTable, defaultBrokerConfig(), values.config, { namesrvAddr: values.namesrvAddr }));
  if (values['print-config']) return printConfig(brokerConfigTable, config);
  const untilSignal = stopOnSignal();
  const broker = new BrokerController(config);
  await broker.start();
  await untilSignal(() => broker.shutdown());
}

/** namesrv + broker in one process, data under ./data: what `npm start` runs. */
export async function runStandalone(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      data: { type: 'string', default: 'data' },
      'namesrv-port': { type: 'string', default: '9876' },
      'broker-port': { type: 'string', default: '10911' },
    },
  });
  const namesrvPort = Number(values['namesrv-port']);
  const defaults: BrokerConfig = {
    ...defaultBrokerConfig(),
    brokerName: 'broker-a',
    brokerIP1: '127.0.0.1',
    listenPort: Number(values['broker-port']),
    namesrvAddr: `127.0.0.1:${namesrvPort}`,
    storePathRootDir: path.resolve(values.data!, 'store'),
    // One process owning the host: /metrics is on by default here (RocketMQ's port), the namesrv's on the next one.
    metricsExporterType: 'PROM',
  };
  const config = checkBroker(loadConfig(brokerConfigTable, defaults, values.config, {}));
  const untilSignal = stopOnSignal();
  const namesrvMetricsPort = config.metricsPromExporterPort === 0 ? 0 : config.metricsPromExporterPort + 1;
  const namesrv = new NamesrvController({
    ...defaultNamesrvConfig, listenPort: namesrvPort,
    metricsExporterType: config.metricsExporterType, metricsPromExporterHost: config.metricsPromExporterHost, metricsPromExporterPort: namesrvMetricsPort,
  });
  await namesrv.start();
  const broker = new BrokerController(config);
  try {
    await broker.start();
  } catch (err) {
    await namesrv.shutdown();
    throw err;
  }
  const metrics = broker.metricsPort === undefined ? '' : `, metrics at :${broker.metricsPort}/metrics (broker) and :${namesrv.metricsPort}/metrics (namesrv)`;
  process.stderr.write(`\nTern is running: namesrv 127.0.0.1:${namesrv.port}, broker ${broker.brokerAddr}${metrics}, data in ${config.storePathRootDir}\n`
    + `Try: npx tern produce -n 127.0.0.1:${namesrv.port} -t demo --count 1000   (Ctrl-C stops)\n\n`);
  await untilSignal(async () => {
    await broker.shutdown();
    await namesrv.shutdown();
  });
}
