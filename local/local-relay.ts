/**
 * Wires a complete relay on loopback: the SmartConnect simulator (unless another environment is
 * given), a stand-in SSM holding the stage parameter, and the relay server running the real
 * handlers configured exactly as in Lambda. `npm start` and the handler tests both use it.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { RuntimeEnv, type Stage } from '../functions/shared/runtime-config.ts';
import { startRelayServer, type RelayServer } from './relay-server.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from './simulator/index.ts';
import { startSsmStandIn, type SsmStandIn } from './ssm-stand-in.ts';
import { startDynamoStandIn, transactionTableDefinition, type DynamoStandIn } from './dynamodb-stand-in.ts';

export interface LocalRelayOptions {
  readonly stage?: Stage;
  /** SmartConnect base URL; the built-in simulator when omitted. */
  readonly smartConnectEnvironment?: string;
  readonly simulator?: SimulatorOptions;
  readonly port?: number;
  /** Extra function environment (e.g. a short SMARTCONNECT_TIMEOUT_MS in tests). */
  readonly env?: Record<string, string>;
}

export interface LocalRelay {
  readonly url: string;
  readonly simulator: Simulator | undefined;
  readonly ssm: SsmStandIn;
  readonly dynamo: DynamoStandIn;
  readonly parameterName: string;
  close(): Promise<void>;
}

export const simulatorCaPath = new URL('./certs/ca.pem', import.meta.url);

/**
 * Adds the simulator's test CA to the CAs this process trusts, next to Node's own and any
 * NODE_EXTRA_CA_CERTS, so the relay reaches the simulator over verified HTTPS.
 */
export function trustSimulatorCa(): void {
  const ca = readFileSync(simulatorCaPath, 'utf8');
  const current = tls.getCACertificates('default');
  if (!current.includes(ca)) tls.setDefaultCACertificates([...current, ca]);
}

export async function startLocalRelay(options: LocalRelayOptions = {}): Promise<LocalRelay> {
  const stage = options.stage ?? 'dev';
  trustSimulatorCa();
  const simulator = options.smartConnectEnvironment ? undefined : await startSimulator(options.simulator);
  const parameterName = `/smartconnect/${stage}/environment`;
  const ssm = await startSsmStandIn({ [parameterName]: options.smartConnectEnvironment ?? simulator!.baseUrl });
  const tableName = `smartconnect-relay-${stage}-transactions`;
  const dynamo = await startDynamoStandIn([transactionTableDefinition(tableName)]);

  Object.assign(process.env, {
    [RuntimeEnv.stage]: stage,
    [RuntimeEnv.environmentParameter]: parameterName,
    [RuntimeEnv.transactionsTable]: tableName,
    // The same poll step as the SQS worker, run on timers in this process.
    [RuntimeEnv.poller]: 'in-process',
    AWS_ENDPOINT_URL_SSM: ssm.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'local',
    POWERTOOLS_SERVICE_NAME: 'smartconnect-relay',
    ...options.env,
  });
  let relay: RelayServer;
  try {
    relay = await startRelayServer({ port: options.port, stage });
  } catch (error) {
    await Promise.all([simulator?.close(), ssm.close(), dynamo.close()]);
    throw error;
  }
  return {
    url: relay.url,
    simulator,
    ssm,
    dynamo,
    parameterName,
    close: async () => {
      await relay.close();
      (await import('../functions/shared/transactions-runtime.ts')).stopInProcessPoller();
      await Promise.all([simulator?.close(), ssm.close(), dynamo.close()]);
    },
  };
}
