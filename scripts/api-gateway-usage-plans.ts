/**
 * The `UsagePlanProvisioner` (scripts/usage-plans.ts) on API Gateway, for `tenant --stage <stage>`.
 *
 * Naming contract with the infrastructure, for stage `<stage>`:
 * - `smartconnect-relay-<stage>`: the stage's default usage plan (infra creates it, bound to the
 *   REST API's stage, with the stage config's limits);
 * - `smartconnect-relay-<stage>-tenants`: the tenants table;
 * - created here: API key `smartconnect-relay-<stage>-<tenantId>` per tenant, and usage plan
 *   `smartconnect-relay-<stage>-tenant-<tenantId>` for a tenant with its own limits.
 *
 * provision: GetUsagePlans (paginated, to find the default plan) → CreateApiKey → either
 * CreateUsagePlanKey on the default plan, or CreateUsagePlan (the default plan's API stages, the
 * tenant's limits over the plan's) → CreateUsagePlanKey on it. A failure after CreateApiKey undoes
 * what was created, newest first.
 * deprovision: GetUsagePlan → DeleteUsagePlanKey → DeleteApiKey → and for the tenant's own plan, once
 * no key is left in it: UpdateUsagePlan (remove each `/apiStages`) → DeleteUsagePlan. Each step
 * accepts "already gone", so running it again after a partial failure finishes the job.
 */
import { randomBytes } from 'node:crypto';
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  UpdateUsagePlanCommand,
  type APIGatewayClientConfig,
  type ApiStage,
  type QuotaSettings,
  type ThrottleSettings,
  type UsagePlan,
} from '@aws-sdk/client-api-gateway';
import { awsClientConfig } from '#runtime/aws-client-config.ts';
import type { Stage } from '#runtime/runtime-config.ts';
import type { TenantThrottling, UsagePlanBinding } from '#tenants/tenant-store.ts';
import type { UsagePlanProvisioner, UsagePlanTenant } from './usage-plans.ts';

/**
 * Each stage's region, as in infra/stages.ts (which the CLI does not import: it pulls in
 * aws-cdk-lib). test/unit/scripts/usage-plans.test.ts keeps the two in step.
 */
export const stageRegions: Readonly<Record<Stage, string>> = { dev: 'ap-southeast-2', prod: 'ap-southeast-2' };

const prefix = (stage: Stage) => `smartconnect-relay-${stage}`;
export const defaultUsagePlanName = (stage: Stage) => prefix(stage);
export const tenantsTableName = (stage: Stage) => `${prefix(stage)}-tenants`;
export const tenantApiKeyName = (stage: Stage, tenantId: string) => `${prefix(stage)}-${tenantId}`;
export const tenantUsagePlanName = (stage: Stage, tenantId: string) => `${prefix(stage)}-tenant-${tenantId}`;

export const tagKeys = { stage: 'smartconnect-relay:stage', tenant: 'smartconnect-relay:tenant' } as const;

const base62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * An API key value: 40 alphanumeric characters (~238 bits). Never sent by clients (the API's key
 * source is the authorizer), but it is still the tenant's usage identifier: unguessable all the same.
 */
export function generateUsageKeyValue(length = 40): string {
  let value = '';
  while (value.length < length) {
    for (const byte of randomBytes(length)) {
      // 248 = 4 × 62: rejecting the rest keeps every character equally likely.
      if (byte < 248 && value.length < length) value += base62[byte % 62];
    }
  }
  return value;
}

/** A failure the admin has to act on; `leftovers` names what a failed rollback left behind. */
export class UsagePlanError extends Error {
  readonly leftovers: readonly string[];
  constructor(message: string, options?: ErrorOptions & { leftovers?: readonly string[] }) {
    super(message, options);
    this.name = 'UsagePlanError';
    this.leftovers = options?.leftovers ?? [];
  }
}

/**
 * The client configuration: `AWS_ENDPOINT_URL_API_GATEWAY` from `vars` (so a caller's env, not only
 * process.env, decides), and placeholder credentials for a loopback endpoint without any.
 */
export function apiGatewayClientConfig(vars: NodeJS.ProcessEnv, overrides: APIGatewayClientConfig = {}): APIGatewayClientConfig {
  return { maxAttempts: 4, requestHandler: { connectionTimeout: 2_000, requestTimeout: 10_000 }, ...awsClientConfig(vars, 'API_GATEWAY'), ...overrides };
}

export interface ApiGatewayUsagePlansOptions {
  readonly client: Pick<APIGatewayClient, 'send'>;
  readonly stage: Stage;
  /** The API key value; node:crypto by default. */
  readonly generateValue?: () => string;
}

const isNotFound = (error: unknown) => (error as Error | undefined)?.name === 'NotFoundException';

/** Runs `step`, treating "not found" as done (it is gone already). */
async function gone(step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** The tenant's limits over the default plan's: unset members keep the stage defaults. */
export function tenantLimits(throttling: TenantThrottling, defaults: Pick<UsagePlan, 'throttle' | 'quota'>): { throttle?: ThrottleSettings; quota?: QuotaSettings } {
  const rateLimit = throttling.rateLimit ?? defaults.throttle?.rateLimit;
  const burstLimit = throttling.burstLimit ?? defaults.throttle?.burstLimit;
  const throttle: ThrottleSettings = { ...(rateLimit === undefined ? {} : { rateLimit }), ...(burstLimit === undefined ? {} : { burstLimit }) };
  const quota: QuotaSettings | undefined = throttling.dailyQuota !== undefined ? { limit: throttling.dailyQuota, period: 'DAY' } : defaults.quota;
  return { ...(Object.keys(throttle).length > 0 ? { throttle } : {}), ...(quota ? { quota } : {}) };
}

const hasOwnLimits = (throttling: TenantThrottling | undefined): throttling is TenantThrottling =>
  throttling !== undefined && (throttling.rateLimit !== undefined || throttling.burstLimit !== undefined || throttling.dailyQuota !== undefined);

export function createApiGatewayUsagePlans({ client, stage, generateValue = generateUsageKeyValue }: ApiGatewayUsagePlansOptions): UsagePlanProvisioner & {
  /** The stage's default usage plan (GetUsagePlans, every page); throws UsagePlanError when it is missing or ambiguous. */
  findDefaultPlan(): Promise<UsagePlan & { id: string }>;
} {
  const defaultName = defaultUsagePlanName(stage);
  const tenantPlanPrefix = tenantUsagePlanName(stage, '');

  const findDefaultPlan = async (): Promise<UsagePlan & { id: string }> => {
    const found: UsagePlan[] = [];
    let position: string | undefined;
    do {
      const page = await client.send(new GetUsagePlansCommand({ limit: 500, ...(position ? { position } : {}) }));
      found.push(...(page.items ?? []).filter((plan) => plan.name === defaultName));
      position = page.position;
    } while (position);
    if (found.length === 0) {
      throw new UsagePlanError(
        `No usage plan named ${defaultName} in this account and region: deploy the stage first (npm run deploy:${stage}), or check --region and your AWS credentials.`,
      );
    }
    if (found.length > 1) throw new UsagePlanError(`${found.length} usage plans are named ${defaultName} (${found.map((p) => p.id).join(', ')}); expected exactly one. Remove the stray ones.`);
    const plan = found[0]!;
    if (!plan.id) throw new UsagePlanError(`The usage plan ${defaultName} came back without an id.`);
    return { ...plan, id: plan.id };
  };

  return {
    findDefaultPlan,

    async provision(tenant: UsagePlanTenant): Promise<UsagePlanBinding> {
      // Found first: a stage that is not deployed fails before anything is created.
      const defaultPlan = await findDefaultPlan();
      const ownLimits = hasOwnLimits(tenant.throttling);
      const apiStages: ApiStage[] = (defaultPlan.apiStages ?? []).map(({ apiId, stage: stageName }) => ({ apiId, stage: stageName }));
      if (ownLimits && apiStages.length === 0) {
        throw new UsagePlanError(`The usage plan ${defaultName} (${defaultPlan.id}) is bound to no API stage: deploy the stage first (npm run deploy:${stage}).`);
      }
      const tags = { [tagKeys.stage]: stage, [tagKeys.tenant]: tenant.tenantId };
      const undo: { what: string; run: () => Promise<void> }[] = [];

      try {
        const value = generateValue();
        const key = await client.send(
          new CreateApiKeyCommand({
            name: tenantApiKeyName(stage, tenant.tenantId),
            description: `Usage identifier of tenant ${tenant.tenantId} on smartconnect-relay ${stage}; returned by the authorizer, never sent by clients.`,
            enabled: true,
            value,
            tags,
          }),
        );
        const apiKeyId = key.id;
        if (!apiKeyId) throw new UsagePlanError('CreateApiKey returned no id.');
        undo.push({ what: `API key ${apiKeyId}`, run: () => gone(() => client.send(new DeleteApiKeyCommand({ apiKey: apiKeyId }))) });

        let usagePlanId = defaultPlan.id;
        if (ownLimits) {
          const plan = await client.send(
            new CreateUsagePlanCommand({
              name: tenantUsagePlanName(stage, tenant.tenantId),
              description: `Limits of tenant ${tenant.tenantId} on smartconnect-relay ${stage} (created by npm run tenant).`,
              apiStages,
              ...tenantLimits(tenant.throttling, defaultPlan),
              tags,
            }),
          );
          const planId = plan.id;
          if (!planId) throw new UsagePlanError('CreateUsagePlan returned no id.');
          usagePlanId = planId;
          undo.push({ what: `usage plan ${planId}`, run: () => deleteUsagePlan(planId, apiStages) });
        }

        // Also undone when this very call fails: it may have succeeded before its answer was lost.
        const planId = usagePlanId;
        undo.push({ what: `API key ${apiKeyId} in usage plan ${planId}`, run: () => gone(() => client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: planId, keyId: apiKeyId }))) });
        await client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: apiKeyId, keyType: 'API_KEY' }));
        return { usagePlanId, apiKeyId, apiKeyValue: key.value ?? value };
      } catch (error) {
        const leftovers: string[] = [];
        for (const step of undo.reverse()) {
          try {
            await step.run();
          } catch {
            leftovers.push(step.what);
          }
        }
        const cause = describe(error);
        throw new UsagePlanError(
          leftovers.length === 0
            ? `Could not provision the usage plan of tenant ${tenant.tenantId}: ${cause}. Nothing was left in API Gateway.`
            : `Could not provision the usage plan of tenant ${tenant.tenantId}: ${cause}. Rolling back failed too; remove by hand: ${leftovers.join('; ')}.`,
          { cause: error, leftovers },
        );
      }
    },

    async deprovision(binding: UsagePlanBinding): Promise<void> {
      let plan: UsagePlan | undefined;
      try {
        plan = await client.send(new GetUsagePlanCommand({ usagePlanId: binding.usagePlanId }));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      if (plan) await gone(() => client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: binding.usagePlanId, keyId: binding.apiKeyId })));
      await gone(() => client.send(new DeleteApiKeyCommand({ apiKey: binding.apiKeyId })));
      // Only a plan of this CLI's naming, and only once nobody else is in it: never the stage's default plan.
      if (!plan?.name?.startsWith(tenantPlanPrefix)) return;
      const others = await client.send(new GetUsagePlanKeysCommand({ usagePlanId: binding.usagePlanId, limit: 1 }));
      if ((others.items ?? []).length > 0) return;
      await deleteUsagePlan(binding.usagePlanId, plan.apiStages ?? []);
    },
  };

  /** API Gateway refuses to delete a plan still bound to API stages: unbind them, then delete. */
  async function deleteUsagePlan(usagePlanId: string, apiStages: readonly ApiStage[]): Promise<void> {
    const patchOperations = apiStages.filter((s) => s.apiId && s.stage).map((s) => ({ op: 'remove' as const, path: '/apiStages', value: `${s.apiId}:${s.stage}` }));
    if (patchOperations.length > 0) await gone(() => client.send(new UpdateUsagePlanCommand({ usagePlanId, patchOperations })));
    await gone(() => client.send(new DeleteUsagePlanCommand({ usagePlanId })));
  }
}

/** The provisioner of a stage with its own client, as the CLI uses it; `close` releases the client. */
export function createStageUsagePlans(vars: NodeJS.ProcessEnv, stage: Stage, region: string): { usagePlans: UsagePlanProvisioner; close(): void } {
  const client = new APIGatewayClient(apiGatewayClientConfig(vars, { region }));
  return { usagePlans: createApiGatewayUsagePlans({ client, stage }), close: () => client.destroy() };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name && error.name !== 'Error' && !error.message.startsWith(error.name) ? `${error.name}: ${error.message}` : error.message;
}
