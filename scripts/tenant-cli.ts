/**
 * The tenant administration command (`node scripts/tenant.ts …`, `npm run tenant -- …`), as a
 * function of its arguments and streams so tests can run it in-process as well as spawned.
 *
 * Targets: `--stage <dev|prod>` (the deployed stage: its tenants table and its API Gateway usage
 * plans), `--table <name>` (a tenants table alone, no usage plans) or `--local`/`--file` (npm start).
 *
 * Exit codes: 0 done; 1 refused or failed (unknown tenant or key, a third key, AWS errors);
 * 2 wrong usage or invalid input.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Stage } from '#runtime/runtime-config.ts';
import {
  createDynamoTenantStore,
  createFileTenantStore,
  generateTenantId,
  TenantStoreError,
  tenantTableClientConfig,
  validateNewTenant,
  type IssuedKey,
  type NewTenant,
  type TenantStore,
  type TenantSummary,
  type TenantThrottling,
  type UsagePlanBinding,
} from '#tenants/tenant-store.ts';
import type { UsagePlanProvisioner } from './usage-plans.ts';

/** Kept in step with scripts/api-gateway-usage-plans.ts (imported lazily: only --stage needs the SDK). */
const stageNames: readonly Stage[] = ['dev', 'prod'];
const isStage = (value: string): value is Stage => (stageNames as readonly string[]).includes(value);

/** The local store `npm start` reads: `<repo>/.local/tenants.json` (gitignored). */
export const defaultLocalTenantsFile = fileURLToPath(new URL('../.local/tenants.json', import.meta.url));

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: NodeJS.ProcessEnv;
}

export interface CliDependencies {
  /**
   * The usage plans of `--stage` targets, instead of the API Gateway one the CLI builds (tests).
   * `--table` and `--local` targets never provision usage plans.
   */
  readonly usagePlans?: UsagePlanProvisioner;
}

export const usage = `Usage: npm run tenant -- <command> <target> [options]

Commands:
  create --name <name> --vendor <posVendorName> [--vendor <another>…] [--id <tenantId>]
         [--rate <req/s> --burst <requests> --quota <requests/day>]
                          Create a tenant and print its API key (shown once). With --stage, also
                          its API Gateway usage plan: the stage's default plan, or a plan of its
                          own when --rate/--burst/--quota are given (unset ones keep the stage's).
  list                    List tenants, their key ids and usage plans (never keys or hashes).
  rotate --tenant <id>    Issue a second key; the old one keeps working until revoked.
                          The tenant keeps its usage plan.
  revoke --key <keyId>    Revoke a key at once. The tenant keeps its usage plan.
  attach-plan --tenant <id>
                          (--stage only) Give a tenant that has none its usage plan, e.g. one
                          created with --table alone.

Targets (one is required):
  --stage <dev|prod> [--region <region>]
                          A deployed stage: its tenants table (smartconnect-relay-<stage>-tenants)
                          and its API Gateway usage plans, in the stage's region (ap-southeast-2)
                          unless --region says otherwise. Uses your AWS credentials (AWS_PROFILE,
                          AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_API_GATEWAY… are honoured).
  --table <name> [--region <region>]
                          A DynamoDB tenants table alone: no usage plans are created or changed.
  --local [--file <path>] The local store used by npm start (default .local/tenants.json).

Options:
  --json                  Machine-readable output.
  -h, --help              This text.
`;

class UsageError extends Error {}

const options = {
  local: { type: 'boolean' },
  file: { type: 'string' },
  table: { type: 'string' },
  stage: { type: 'string' },
  region: { type: 'string' },
  name: { type: 'string' },
  vendor: { type: 'string', multiple: true },
  id: { type: 'string' },
  rate: { type: 'string' },
  burst: { type: 'string' },
  quota: { type: 'string' },
  tenant: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

export async function runTenantCli(argv: readonly string[], io: CliIo, deps: CliDependencies = {}): Promise<number> {
  const out = (text = '') => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);
  let close = () => {};
  let describeTarget: ((error: unknown) => string | undefined) | undefined;
  try {
    const { values, positionals } = parse(argv);
    if (values.help) {
      out(usage);
      return 0;
    }
    const [command, ...extra] = positionals;
    if (!command) throw new UsageError('a command is required');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    if (!['create', 'list', 'rotate', 'revoke', 'attach-plan'].includes(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}`);

    const target = await openTarget(values, io.env, deps);
    close = target.close;
    describeTarget = target.describe;
    const { store, usagePlans } = target;

    switch (command) {
      case 'create': {
        if (!values.name) throw new UsageError('create needs --name');
        if (!values.vendor?.length) throw new UsageError('create needs at least one --vendor (the posVendorName the POS platform sends)');
        const throttling = throttlingFrom(values);
        const input: NewTenant = {
          name: values.name,
          posVendorNames: values.vendor,
          ...(values.id === undefined ? {} : { tenantId: values.id }),
          ...(throttling ? { throttling } : {}),
        };
        const notes: string[] = [];
        let created: { tenant: TenantSummary; issued: IssuedKey };
        let failure: string | undefined;
        if (usagePlans) {
          const result = await createWithUsagePlan(store, usagePlans, input, target.flag);
          created = result;
          if (result.binding) notes.push(planNote(result.binding, result.tenant));
          failure = result.failure;
        } else {
          created = await store.createTenant(input);
          if (target.kind === 'table') {
            notes.push(
              `${throttling ? 'Throttling is recorded on the tenant, but no' : 'No'} API Gateway usage plan was provisioned (--table alone never touches usage plans). ` +
                `Once the stage's methods require API keys, this tenant's requests get 403 until it has one: npm run tenant -- attach-plan --stage <dev|prod> --tenant ${created.tenant.tenantId}`,
            );
          } else if (throttling) {
            notes.push('Throttling is recorded on the tenant; the local server does not enforce it.');
          }
        }
        const { tenant, issued } = created;
        if (values.json) {
          out(JSON.stringify({ tenantId: tenant.tenantId, keyId: issued.keyId, apiKey: issued.apiKey, ...(tenant.usagePlanId ? { usagePlanId: tenant.usagePlanId } : {}), tenant }, null, 2));
          for (const note of notes) err(note);
        } else {
          out(`Created tenant ${tenant.tenantId} "${tenant.name}" (posVendorName ${tenant.posVendorNames.join(', ')}).`);
          printKey(out, issued.apiKey, issued.keyId, tenant.tenantId);
          for (const note of notes) out(note);
        }
        if (failure) {
          err(`error: ${failure}`);
          return 1;
        }
        return 0;
      }

      case 'attach-plan': {
        if (!values.tenant) throw new UsageError('attach-plan needs --tenant <tenantId>');
        if (!usagePlans) throw new UsageError('attach-plan needs --stage <dev|prod>: usage plans belong to a deployed stage');
        const tenant = await store.getTenant(values.tenant);
        if (!tenant) throw new TenantStoreError('tenant-not-found', `No tenant ${values.tenant}. List the tenants to find its id.`);
        if (tenant.usagePlanId) {
          err(`error: tenant ${tenant.tenantId} already has usage plan ${tenant.usagePlanId}; nothing changed.`);
          return 1;
        }
        const binding = await usagePlans.provision({ tenantId: tenant.tenantId, name: tenant.name, ...(tenant.throttling ? { throttling: tenant.throttling } : {}) });
        try {
          await store.setUsagePlan(tenant.tenantId, binding);
        } catch (error) {
          throw new Error(`could not record the usage plan on tenant ${tenant.tenantId} (${describe(error)})${await undo(usagePlans, binding)}`, { cause: error });
        }
        if (values.json) {
          out(JSON.stringify({ tenantId: tenant.tenantId, usagePlanId: binding.usagePlanId, apiKeyId: binding.apiKeyId }, null, 2));
          return 0;
        }
        out(planNote(binding, tenant));
        return 0;
      }

      case 'list': {
        const tenants = await store.listTenants();
        if (values.json) {
          out(JSON.stringify(tenants, null, 2));
          return 0;
        }
        if (tenants.length === 0) {
          out(`No tenants yet. Create one with: npm run tenant -- create ${target.flag} --name "Acme POS" --vendor AcmePOS`);
          return 0;
        }
        tenants.forEach((tenant, i) => {
          if (i > 0) out();
          printTenant(out, tenant, target.kind !== 'local');
        });
        const unplanned = target.kind === 'local' ? [] : tenants.filter((t) => !t.usagePlanId);
        if (unplanned.length > 0) {
          out();
          out(
            `${unplanned.length === 1 ? '1 tenant has' : `${unplanned.length} tenants have`} no usage plan: once the stage's methods require API keys, their requests get 403. ` +
              `Give each one with: npm run tenant -- attach-plan ${target.kind === 'stage' ? target.flag : '--stage <dev|prod>'} --tenant <tenantId>`,
          );
        }
        return 0;
      }

      case 'rotate': {
        if (!values.tenant) throw new UsageError('rotate needs --tenant <tenantId>');
        const before = await store.getTenant(values.tenant);
        const previous = before?.keys.filter((k) => k.status === 'active').map((k) => k.keyId) ?? [];
        // A rotation changes relay keys only: the tenant's usage plan and its API key stay as they are.
        const issued = await store.rotateKey(values.tenant);
        if (values.json) {
          out(JSON.stringify({ tenantId: issued.tenantId, keyId: issued.keyId, apiKey: issued.apiKey, previousKeyIds: previous }, null, 2));
          return 0;
        }
        out(`Issued a new key for tenant ${issued.tenantId}.`);
        printKey(out, issued.apiKey, issued.keyId, issued.tenantId);
        if (previous.length > 0) {
          out(`The old key keeps working until you revoke it. Once the POS platform uses the new one: npm run tenant -- revoke ${target.flag} --key ${previous[0]}`);
        }
        if (target.kind === 'stage' && before && !before.usagePlanId) {
          out(`Tenant ${issued.tenantId} has no usage plan: give it one with npm run tenant -- attach-plan ${target.flag} --tenant ${issued.tenantId}`);
        }
        return 0;
      }

      case 'revoke': {
        if (!values.key) throw new UsageError('revoke needs --key <keyId>');
        // Relay keys only: the tenant keeps its usage plan (and its API key) for the next rotation.
        const { key, alreadyRevoked, activeKeysLeft } = await store.revokeKey(values.key);
        if (values.json) {
          out(JSON.stringify({ key, alreadyRevoked, activeKeysLeft }, null, 2));
          return 0;
        }
        out(alreadyRevoked ? `Key ${key.keyId} of tenant ${key.tenantId} was already revoked (${key.revokedAt ?? 'earlier'}).` : `Revoked key ${key.keyId} of tenant ${key.tenantId}.`);
        if (target.kind !== 'local') out('API Gateway may keep serving a cached authorization for this key until the authorizer cache TTL runs out.');
        if (activeKeysLeft === 0) out(`Tenant ${key.tenantId} has no active key now: its requests get 401 until you run rotate --tenant ${key.tenantId}.`);
        return 0;
      }
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      err(`error: ${error.message}\n\n${usage}`);
      return 2;
    }
    if (error instanceof TenantStoreError) {
      err(`error: ${error.message}`);
      return error.code === 'invalid-input' ? 2 : 1;
    }
    err(`error: ${describeTarget?.(error) ?? describe(error)}`);
    return 1;
  } finally {
    close();
  }
}

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

interface Target {
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

async function openTarget(values: Values, env: NodeJS.ProcessEnv, deps: CliDependencies): Promise<Target> {
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

/**
 * create with a usage plan. The plan comes first, under the tenant id the store will use, so that a
 * failure leaves nothing behind: API Gateway calls fail most often (a stage not deployed, missing
 * permissions), and a tenant written before them would hold a key nobody ever saw. If the tenant
 * then cannot be written, the plan is removed again. If only the binding cannot be recorded, the
 * tenant exists: its key is shown and the error says how to attach a plan.
 */
async function createWithUsagePlan(
  store: TenantStore,
  usagePlans: UsagePlanProvisioner,
  input: NewTenant,
  flag: string,
): Promise<{ tenant: TenantSummary; issued: IssuedKey; binding?: UsagePlanBinding; failure?: string }> {
  const valid = validateNewTenant(input);
  const tenantId = valid.tenantId ?? generateTenantId();
  if (await store.getTenant(tenantId)) throw new TenantStoreError('tenant-exists', `A tenant with id ${tenantId} already exists; choose another id or rotate its key instead.`);
  const binding = await usagePlans.provision({ tenantId, name: valid.name, ...(valid.throttling ? { throttling: valid.throttling } : {}) });
  let created: { tenant: TenantSummary; issued: IssuedKey };
  try {
    created = await store.createTenant({ ...input, tenantId });
  } catch (error) {
    const left = await undo(usagePlans, binding);
    if (error instanceof TenantStoreError) throw new TenantStoreError(error.code, `${error.message}${left}`, { cause: error });
    throw new Error(`${describe(error)}${left}`, { cause: error });
  }
  try {
    await store.setUsagePlan(tenantId, binding);
  } catch (error) {
    const left = await undo(usagePlans, binding);
    return {
      ...created,
      failure:
        `tenant ${tenantId} was created, but its usage plan could not be recorded (${describe(error)})${left} ` +
        `Its requests get 403 until it has one: npm run tenant -- attach-plan ${flag} --tenant ${tenantId}`,
    };
  }
  return { tenant: { ...created.tenant, usagePlanId: binding.usagePlanId }, issued: created.issued, binding };
}

/** Removes a binding nobody will record; says what is left if that fails too. */
async function undo(usagePlans: UsagePlanProvisioner, binding: UsagePlanBinding): Promise<string> {
  try {
    await usagePlans.deprovision(binding);
    return '; its usage plan binding was removed again.';
  } catch (error) {
    return `; removing its usage plan binding failed too (${describe(error)}): delete API key ${binding.apiKeyId} (and usage plan ${binding.usagePlanId} if it is the tenant's own) by hand.`;
  }
}

// TODO(tenant delete): there is no command that removes a tenant yet. When one arrives, it must call
// `usagePlans.deprovision(binding)` for a tenant with a usage plan (after its relay keys are revoked),
// so its API key and, for a tenant with its own limits, its usage plan are removed from API Gateway.

function planNote(binding: UsagePlanBinding, tenant: Pick<TenantSummary, 'tenantId' | 'throttling'>): string {
  const own = tenant.throttling !== undefined;
  return `Usage plan ${binding.usagePlanId} (${own ? 'the tenant\'s own limits' : 'the stage defaults'}) attached to tenant ${tenant.tenantId} through API Gateway API key ${binding.apiKeyId}.`;
}

function throttlingFrom(values: Values): TenantThrottling | undefined {
  const number = (flag: 'rate' | 'burst' | 'quota') => {
    const raw = values[flag];
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`--${flag} must be a number, not ${JSON.stringify(raw)}`);
    return value;
  };
  const rateLimit = number('rate');
  const burstLimit = number('burst');
  const dailyQuota = number('quota');
  if (rateLimit === undefined && burstLimit === undefined && dailyQuota === undefined) return undefined;
  return {
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(burstLimit === undefined ? {} : { burstLimit }),
    ...(dailyQuota === undefined ? {} : { dailyQuota }),
  };
}

function printKey(out: (text?: string) => void, apiKey: string, keyId: string, tenantId: string): void {
  out();
  out(`  ${apiKey}`);
  out();
  out('Store this API key now, in the POS platform\'s secret store: it is shown only this once.');
  out(`The relay keeps only its hash and cannot show it again; if it is lost, issue another with rotate --tenant ${tenantId}.`);
  out(`Key id (not secret; for support and for revoke --key): ${keyId}`);
}

function printTenant(out: (text?: string) => void, tenant: TenantSummary, deployed: boolean): void {
  const t = tenant.throttling;
  const limits = t
    ? [t.rateLimit === undefined ? undefined : `${t.rateLimit} req/s`, t.burstLimit === undefined ? undefined : `burst ${t.burstLimit}`, t.dailyQuota === undefined ? undefined : `${t.dailyQuota}/day`]
        .filter(Boolean)
        .join(', ')
    : 'stage defaults';
  out(`${tenant.tenantId}  "${tenant.name}"  created ${tenant.createdAt}`);
  out(`  posVendorName: ${tenant.posVendorNames.join(', ')}`);
  const plan = tenant.usagePlanId ? ` (usage plan ${tenant.usagePlanId})` : deployed ? ' (no usage plan)' : '';
  out(`  limits:        ${limits}${plan}`);
  if (tenant.keys.length === 0) out('  keys:          none');
  for (const [i, key] of tenant.keys.entries()) {
    const revoked = key.revokedAt ? `, revoked ${key.revokedAt}` : '';
    out(`  ${i === 0 ? 'keys:' : '     '}          ${key.keyId}  ${key.status.padEnd(8)} created ${key.createdAt}${revoked}`);
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'ResourceNotFoundException') return `the table does not exist in this account and region (${error.message})`;
  if (/region is missing/i.test(error.message)) return 'no AWS region: pass --region or set AWS_REGION';
  if (error.name === 'CredentialsProviderError') return `no AWS credentials (${error.message})`;
  return error.message;
}
