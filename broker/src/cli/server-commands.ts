import path from 'node:path';
import { parseArgs } from 'node:util';
import { BrokerController } from '../broker/broker-controller.ts';
import { brokerConfigSpec, defaultBrokerConfig, validateBrokerConfig, type BrokerConfig } from '../broker/broker-config.ts';
import { applyProperties, ConfigError, readPropertiesFile, type ConfigSpec } from '../config/properties-file.ts';
import { createLogger } from '../logging/logger.ts';
import { NamesrvController } from '../namesrv/namesrv-controller.ts';
import { defaultNamesrvConfig, namesrvConfigSpec, type NamesrvConfig } from '../namesrv/namesrv-config.ts';

const log = createLogger('tern');

/** Loads `-c FILE` over the defaults; unknown keys are warned about, bad values refused (ConfigError). */
function loadConfig<T extends object>(defaults: T, spec: ConfigSpec<T>, file: string | undefined): T {
  if (!file) return defaults;
  const { config, unknownKeys } = applyProperties(defaults, spec, readPropertiesFile(file));
  // Single quotes: a JSON log line escapes double ones, and people grep for this text.
  for (const key of unknownKeys) log.warn(`${file}: unknown config key '${key}' ignored`);
  return config;
}

function checkBroker(config: BrokerConfig): BrokerConfig {
  const problems = validateBrokerConfig(config);
  if (problems.length > 0) throw new ConfigError(`invalid broker config: ${problems.join('; ')}`);
  return config;
}

/** Resolves when SIGTERM or SIGINT arrives, after running the graceful stop. */
function untilSignal(stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info(`${signal} received: shutting down`);
      stop().then(resolve, (err: Error) => {
        log.error(`shutdown failed: ${err.message}`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

export async function runNamesrv(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' }, port: { type: 'string', short: 'p' } } });
  const config: NamesrvConfig = loadConfig(defaultNamesrvConfig, namesrvConfigSpec, values.config);
  if (values.port) config.listenPort = Number(values.port);
  const namesrv = new NamesrvController(config);
  await namesrv.start();
  await untilSignal(() => namesrv.shutdown());
}

export async function runBroker(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, namesrvAddr: { type: 'string', short: 'n' } },
  });
  const config = loadConfig(defaultBrokerConfig(), brokerConfigSpec, values.config);
  if (values.namesrvAddr) config.namesrvAddr = values.namesrvAddr;
  const broker = new BrokerController(checkBroker(config));
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
  };
  const config = checkBroker(loadConfig(defaults, brokerConfigSpec, values.config));
  const namesrv = new NamesrvController({ ...defaultNamesrvConfig, listenPort: namesrvPort });
  await namesrv.start();
  const broker = new BrokerController(config);
  try {
    await broker.start();
  } catch (err) {
    await namesrv.shutdown();
    throw err;
  }
  process.stderr.write(`\nTern is running: namesrv 127.0.0.1:${namesrv.port}, broker ${broker.brokerAddr}, data in ${config.storePathRootDir}\n`
    + `Try: npx tern produce -n 127.0.0.1:${namesrv.port} -t demo --count 1000   (Ctrl-C stops)\n\n`);
  await untilSignal(async () => {
    await broker.shutdown();
    await namesrv.shutdown();
  });
}
