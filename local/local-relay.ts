/**
 * Wires a complete relay on loopback: the SmartConnect simulator (unless another environment is
 * given), a stand-in SSM holding the stage parameter, and the relay server running the real
 * handlers configured exactly as in Lambda. `npm start` and the handler tests both use it.
 */
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { RuntimeEnv, type Stage } from '#runtime/runtime-config.ts';
import { startRelayServer, type RelayServer } from './relay-server.ts';
import { developerConsole, type DeveloperConsoleOptions } from './developer-console.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from './simulator/index.ts';
import { startSsmStandIn, type SsmStandIn } from './stand-ins/ssm.ts';
import { startDynamoStandIn, transactionTableDefinition, webhookTableDefinition, type DynamoStandIn } from './stand-ins/dynamodb.ts';
import { allowPolicy, bearerToken, createAuthorizer, type Authorizer } from '../functions/authorize/authorizer.ts';
import { parseApiKey } from '#tenants/api-keys.ts';
import { toAuthorizerContext } from '#tenants/tenant-context.ts';
import { createMemoryTenantStore, ensureTenantForKey, type TenantStore } from '#tenants/tenant-store.ts';
import { Logger } from '@aws-lambda-powertools/logger';

export interface LocalRelayOptions {
  readonly stage?: Stage;
  /** SmartConnect base URL; the built-in simulator when omitted. */
  readonly smartConnectEnvironment?: string;
  readonly simulator?: SimulatorOptions;
  readonly port?: number;
  /** Extra function environment (e.g. a short SMARTCONNECT_TIMEOUT_MS in tests). */
  readonly env?: Record<string, string>;
  /** Where API keys are looked up; an in-memory store when omitted. */
  readonly tenantStore?: TenantStore;
  /** Vendor names of the tenant whose key is `LocalRelay.apiKey`. */
  readonly posVendorNames?: readonly string[];
  /**
   * Use this key (RELAY_API_KEY) for that tenant instead of generating one. A key in the relay's
   * format is stored like any other (as a hash); any other string is accepted as-is, for local
   * runs only, so a test harness can bring its own secret.
   */
  readonly apiKey?: string;
  /** Per-tenant request rate (API Gateway usage plans stand-in); unlimited when omitted. */
  readonly rateLimit?: { readonly perSecond: number; readonly burst: number };
  readonly corsAllowedOrigins?: readonly string[];
  /** Keep the relay's tables in this folder across runs (`npm start`); in memory when omitted. */
  readonly dynamoPath?: string;
  /** Serve the developer pages (/, /docs, /openapi.json, /_device) and log each request (`npm start`). */
  readonly developerConsole?: Omit<DeveloperConsoleOptions, 'deviceConsole'>;
}

export interface LocalRelay {
  readonly url: string;
  readonly simulator: Simulator | undefined;
  readonly ssm: SsmStandIn;
  readonly dynamo: DynamoStandIn;
  readonly parameterName: string;
  readonly tenantStore: TenantStore;
  /** A key of a tenant allowed `posVendorNames` (send it as `Authorization: Bearer …`). */
  readonly apiKey: string;
  /** Creates another tenant (for isolation tests) and returns its key. */
  addTenant(posVendorNames: readonly string[]): Promise<string>;
  close(): Promise<void>;
}

export const defaultLocalVendorNames = ['LocalPOS', 'Till2Go', 'TestPOS'] as const;

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
  const tableName = `smartconnect-relay-${stage}-transactions`;
  // The kept tables first: a folder another run holds is refused before any port is taken.
  const webhooksTableName = `smartconnect-relay-${stage}-webhooks`;
  const dynamo = await startDynamoStandIn([transactionTableDefinition(tableName), webhookTableDefinition(webhooksTableName)], { path: options.dynamoPath });
  let simulator: Simulator | undefined;
  let ssm: SsmStandIn;
  const parameterName = `/smartconnect/${stage}/environment`;
  try {
    simulator = options.smartConnectEnvironment ? undefined : await startSimulator(options.simulator);
    ssm = await startSsmStandIn({ [parameterName]: options.smartConnectEnvironment ?? simulator!.baseUrl });
  } catch (error) {
    await Promise.all([simulator?.close(), dynamo.close()]);
    throw error;
  }

  Object.assign(process.env, {
    [RuntimeEnv.stage]: stage,
    [RuntimeEnv.environmentParameter]: parameterName,
    [RuntimeEnv.transactionsTable]: tableName,
    // The same poll step as the SQS worker, run on timers in this process.
    [RuntimeEnv.poller]: 'in-process',
    // Webhooks go out from this process too, with compressed back-off, also to loopback URLs.
    [RuntimeEnv.webhookDelivery]: 'in-process',
    [RuntimeEnv.webhooksTable]: webhooksTableName,
    [RuntimeEnv.corsAllowedOrigins]: (options.corsAllowedOrigins ?? []).join(','),
    AWS_ENDPOINT_URL_SSM: ssm.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: process.env.AWS_REGION ?? 'local',
    POWERTOOLS_SERVICE_NAME: 'smartconnect-relay',
    ...options.env,
  });
  const tenantStore = options.tenantStore ?? createMemoryTenantStore();
  const addTenant = async (posVendorNames: readonly string[]) =>
    (await tenantStore.createTenant({ name: `Local tenant (${posVendorNames.join(', ')})`, posVendorNames: [...posVendorNames] })).issued.apiKey;
  let relay: RelayServer;
  let apiKey: string;
  try {
    const posVendorNames = options.posVendorNames ?? defaultLocalVendorNames;
    apiKey = options.apiKey ?? (await addTenant(posVendorNames));
    let authorizer: Authorizer = createAuthorizer({ store: tenantStore, logger: new Logger({ serviceName: 'smartconnect-relay' }) });
    if (options.apiKey && parseApiKey(options.apiKey)) {
      await ensureTenantForKey(tenantStore, { apiKey: options.apiKey, posVendorNames });
    } else if (options.apiKey) {
      authorizer = acceptingLocalKey(authorizer, options.apiKey, posVendorNames);
    }
    relay = await startRelayServer({
      port: options.port,
      stage,
      authorizer,
      rateLimit: options.rateLimit,
      corsAllowedOrigins: options.corsAllowedOrigins,
      around: options.developerConsole && developerConsole({ ...options.developerConsole, deviceConsole: simulator?.deviceConsole }),
    });
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
    tenantStore,
    apiKey,
    addTenant,
    close: async () => {
      await relay.close();
      // Polls under way finish before the stand-ins go: dynalite throws if written to once closed.
      await (await import('#transactions/transactions-runtime.ts')).stopInProcessPoller();
      await (await import('#webhooks/webhooks-runtime.ts')).stopInProcessWebhooks();
      await Promise.all([simulator?.close(), ssm.close(), dynamo.close()]);
    },
  };
}

/** Lets a free-form local key through as the local tenant; every other request meets the real authorizer. */
function acceptingLocalKey(authorizer: Authorizer, apiKey: string, posVendorNames: readonly string[]): Authorizer {
  const tenant = { tenantId: 'local', posVendorNames };
  return async (event) =>
    bearerToken(event) === apiKey
      ? { principalId: tenant.tenantId, policyDocument: allowPolicy(event.methodArn), context: toAuthorizerContext(tenant, 'local-key') }
      : authorizer(event);
}
