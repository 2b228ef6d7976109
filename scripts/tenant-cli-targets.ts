/** Where the tenant CLI's commands act: the local store, a tenants table alone, or a deployed stage. */
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Stage } from '#runtime/runtime-config.ts';
import { createDynamoTenantStore, createFileTenantStore, tenantTableClientConfig, type TenantStore } from '#tenants/tenant-store.ts';
import type { CliDependencies } from './tenant-cli.ts';
import { UsageError, type Values } from './tenant-cli-usage.ts';
import type { UsagePlanProvisioner } from './usage-plans.ts';

/** Kept in step with scripts/api-gateway-usage-plans.ts (imported lazily: only --stage needs the SDK). */
const stageNames: readonly Stage[] = ['dev', 'prod'];
const isStage = (value: string): value is Stage => (stageNames as readonly string[]).includes(value);

/** The local store `npm start` reads: `<repo>/.local/tenants.json` (gitignored). */
export const defaultLocalTenantsFile = fileURLToPath(new URL('../.local/tenants.json', import.meta.url));

export interface Target {
  readonly kind: 'local' | 'table' | 'stage';
  /** How to name this target again in a suggested command. */
  readonly flag: string;
  readonly store: TenantStore;
  /** Only for `--stage`. */
  readonly usagePlans?: UsagePlanProvisioner;
  /** A clearer message for an error of this target, if it has one. */
  describe?(error: unknown): string | undefined;
  close(): void;
}

export async function openTarget(values: Values, env: NodeJS.ProcessEnv, deps: CliDependencies): Promise<Target> {
  const local = values.local === true || values.file !== undefined;
  const chosen = [local && '--local', values.table !== undefined && '--table', values.stage !== undefined && '--stage'].filter(Boolean);
  if (chosen.length > 1) {
    throw new UsageError(`choose one target: --stage, --table or --local, not ${chosen.join(' and ')}${values.stage !== undefined && values.table !== undefined ? ' (--stage implies its table)' : ''}`);
  }
  if (values.region !== undefined && values.table === undefined && values.stage === undefined) throw new UsageError('--region goes with --stage or --table');
  if (values.region !== undefined && values.region.trim() === '') throw new UsageError('--region needs a region name');
  if (local) {
    const file = values.file ?? defaultLocalTenantsFile;
    return { kind: 'local', flag: values.file ? `--file ${values.file}` : '--local', store: createFileTenantStore(file), close: () => {} };
  }
  const region = values.region ? ` --region ${values.region}` : '';
  if (values.table !== undefined) {
    if (values.table.trim() === '') throw new UsageError('--table needs a table name');
    const client = new DynamoDBClient(tenantTableClientConfig(env, values.region ? { region: values.region } : {}));
    const db = DynamoDBDocumentClient.from(client);
    return { kind: 'table', flag: `--table ${values.table}${region}`, store: createDynamoTenantStore(db, values.table), close: () => client.destroy() };
  }
  if (values.stage !== undefined) {
    const stage = values.stage;
    if (!isStage(stage)) throw new UsageError(`--stage must be ${stageNames.join(' or ')}, not ${JSON.stringify(stage)}`);
    const plans = await import('./api-gateway-usage-plans.ts');
    const stageRegion = values.region ?? plans.stageRegions[stage];
    const table = plans.tenantsTableName(stage);
    const dynamo = new DynamoDBClient(tenantTableClientConfig(env, { region: stageRegion }));
    const apiGateway = deps.usagePlans ? { usagePlans: deps.usagePlans, close: () => {} } : plans.createStageUsagePlans(env, stage, stageRegion);
    return {
      kind: 'stage',
      flag: `--stage ${stage}${region}`,
      store: createDynamoTenantStore(DynamoDBDocumentClient.from(dynamo), table),
      usagePlans: apiGateway.usagePlans,
      describe: (error) =>
        (error as Error | undefined)?.name === 'ResourceNotFoundException'
          ? `the tenants table ${table} does not exist in ${stageRegion}: deploy the stage first (npm run deploy:${stage}), or check --region and your AWS credentials`
          : undefined,
      close: () => {
        dynamo.destroy();
        apiGateway.close();
      },
    };
  }
  throw new UsageError('a target is required: --stage <dev|prod> (a deployed stage), --table <name> (a tenants table alone) or --local (the npm start store)');
}

/** An AWS error in words an operator can act on. */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'ResourceNotFoundException') return `the table does not exist in this account and region (${error.message})`;
  if (/region is missing/i.test(error.message)) return 'no AWS region: pass --region or set AWS_REGION';
  if (error.name === 'CredentialsProviderError') return `no AWS credentials (${error.message})`;
  return error.message;
}
