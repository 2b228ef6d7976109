/**
 * `node scripts/tenant.ts` end to end, spawned as the admin runs it, against the local file store,
 * a DynamoDB table (loopback dynalite through AWS_ENDPOINT_URL_DYNAMODB) and a stage (`--stage dev`:
 * dynalite plus the loopback API Gateway stand-in through AWS_ENDPOINT_URL_API_GATEWAY); then the
 * keys it printed are put through the real authorizer.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { createAuthorizer } from '../../functions/authorize/authorizer.ts';
import { createDynamoTenantStore, createFileTenantStore, type TenantStore } from '#tenants/tenant-store.ts';
import { tenantTableDefinition } from '#tenants/tenant-table.ts';
import { startDynamoStandIn, type DynamoStandIn } from '../../local/stand-ins/dynamodb.ts';
import { startApiGatewayStandIn, type ApiGatewayStandIn, type StandInUsagePlan } from '../../local/stand-ins/api-gateway.ts';
import { runTenantCli } from '../../scripts/tenant-cli.ts';
import type { UsagePlanProvisioner, UsagePlanTenant } from '../../scripts/usage-plans.ts';

const script = fileURLToPath(new URL('../../scripts/tenant.ts', import.meta.url));
const table = 'relay-tenants-cli';
const keyPattern = /scr_[a-z2-7]{12}_[A-Za-z0-9_-]{43}/g;

/** The tables `--stage dev` and `--stage prod` imply. */
const devTable = 'smartconnect-relay-dev-tenants';
const prodTable = 'smartconnect-relay-prod-tenants';

let dir: string;
let dynamo: DynamoStandIn;
let client: DynamoDBClient;
let gateway: ApiGatewayStandIn;
let devPlan: StandInUsagePlan;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tenant-cli-'));
  dynamo = await startDynamoStandIn([tenantTableDefinition(table), tenantTableDefinition(devTable), tenantTableDefinition(prodTable)]);
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  gateway = await startApiGatewayStandIn();
  // What infra deploys for dev: the stage's default plan, bound to the REST API's dev stage. No prod plan.
  devPlan = gateway.addUsagePlan({ name: 'smartconnect-relay-dev', apiStages: [{ apiId: 'restapi01', stage: 'dev' }], throttle: { rateLimit: 10, burstLimit: 20 } });
});
afterAll(async () => {
  client.destroy();
  await dynamo.close();
  await gateway.close();
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The command as an admin runs it; AWS settings limited to the loopback stand-in. */
function tenantCommand(args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args], { env: { ...base, ...env }, timeout: 20_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

/** A deployed stage as the CLI sees it: both AWS services on loopback, placeholder credentials. */
const stageEnv = (): Record<string, string> => ({
  AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
  AWS_ENDPOINT_URL_API_GATEWAY: gateway.endpoint,
  AWS_ACCESS_KEY_ID: 'placeholder-access-key',
  AWS_SECRET_ACCESS_KEY: 'placeholder-secret-key',
  AWS_REGION: 'ap-southeast-2',
  AWS_EC2_METADATA_DISABLED: 'true',
});

const logger = new Logger({ serviceName: 'tenant-cli-test', logLevel: 'SILENT' });
const eventWith = (apiKey: string): APIGatewayRequestAuthorizerEvent =>
  ({ type: 'REQUEST', methodArn: 'arn:aws:execute-api:local:000000000000:api/dev/GET/transactions', headers: { Authorization: `Bearer ${apiKey}` } }) as unknown as APIGatewayRequestAuthorizerEvent;

/** The principal the authorizer grants this key, or 'Unauthorized'. */
async function authorizeWith(store: TenantStore, apiKey: string): Promise<string> {
  try {
    return (await createAuthorizer({ store, logger })(eventWith(apiKey))).principalId;
  } catch (error) {
    return (error as Error).message;
  }
}

const targets: [string, () => { args: string[]; env: Record<string, string>; store: () => TenantStore; atRest: () => Promise<string> }][] = [
  [
    'the local file store',
    () => {
      const file = join(dir, `${Math.random().toString(36).slice(2)}`, 'tenants.json');
      return { args: ['--file', file], env: {}, store: () => createFileTenantStore(file), atRest: () => readFile(file, 'utf8') };
    },
  ],
  [
    'a DynamoDB table',
    () => ({
      args: ['--table', table],
      env: { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint },
      store: () => createDynamoTenantStore(DynamoDBDocumentClient.from(client), table),
      atRest: async () => JSON.stringify((await client.send(new ScanCommand({ TableName: table }))).Items),
    }),
  ],
  [
    'a stage (--stage dev)',
    () => ({
      args: ['--stage', 'dev'],
      env: stageEnv(),
      store: () => createDynamoTenantStore(DynamoDBDocumentClient.from(client), devTable),
      atRest: async () => JSON.stringify((await client.send(new ScanCommand({ TableName: devTable }))).Items),
    }),
  ],
];

describe.each(targets)('against %s', (_name, makeTarget) => {
  test('create → list → rotate → third refused → revoke, with the printed keys checked by the authorizer', async () => {
    const target = makeTarget();
    const tenantId = `acme-${Math.random().toString(36).slice(2, 8)}`;

    const created = await tenantCommand(['create', ...target.args, '--name', 'Acme POS', '--vendor', 'LocalPOS', '--vendor', 'AcmeTill', '--id', tenantId], target.env);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const keys = created.stdout.match(keyPattern) ?? [];
    expect(keys).toHaveLength(1);
    const [firstKey] = keys as [string];
    expect(created.stdout).toMatch(/shown only this once/);
    expect(created.stdout).toContain(`Created tenant ${tenantId}`);
    expect(await authorizeWith(target.store(), firstKey)).toBe(tenantId);
    expect(await target.atRest()).not.toContain(firstKey.slice(17));

    const listed = await tenantCommand(['list', ...target.args], target.env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(tenantId);
    expect(listed.stdout).toContain('Acme POS');
    expect(listed.stdout).toContain('LocalPOS, AcmeTill');
    expect(listed.stdout).toMatch(new RegExp(`${firstKey.slice(4, 16)}\\s+active`));
    expect(listed.stdout).not.toMatch(keyPattern);
    expect(listed.stdout).not.toMatch(/[0-9a-f]{64}/);

    const rotated = await tenantCommand(['rotate', ...target.args, '--tenant', tenantId], target.env);
    expect(rotated.code).toBe(0);
    const [secondKey] = (rotated.stdout.match(keyPattern) ?? []) as [string];
    expect(secondKey).toBeDefined();
    expect(secondKey).not.toBe(firstKey);
    expect(rotated.stdout).toContain(`revoke ${target.args.join(' ')} --key ${firstKey.slice(4, 16)}`);
    expect(await authorizeWith(target.store(), firstKey)).toBe(tenantId);
    expect(await authorizeWith(target.store(), secondKey)).toBe(tenantId);

    const third = await tenantCommand(['rotate', ...target.args, '--tenant', tenantId], target.env);
    expect(third.code).toBe(1);
    expect(third.stderr).toMatch(/already has 2 active keys/);
    expect(third.stdout).not.toMatch(keyPattern);

    const revoked = await tenantCommand(['revoke', ...target.args, '--key', firstKey.slice(4, 16)], target.env);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked key ${firstKey.slice(4, 16)} of tenant ${tenantId}`);
    expect(await authorizeWith(target.store(), firstKey)).toBe('Unauthorized');
    expect(await authorizeWith(target.store(), secondKey)).toBe(tenantId);

    const again = await tenantCommand(['revoke', ...target.args, '--key', firstKey.slice(4, 16)], target.env);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already revoked/);

    const json = await tenantCommand(['list', ...target.args, '--json'], target.env);
    const tenant = (JSON.parse(json.stdout) as { tenantId: string; keys: { keyId: string; status: string }[] }[]).find((t) => t.tenantId === tenantId);
    expect(tenant?.keys.map((k) => [k.keyId, k.status])).toEqual(
      expect.arrayContaining([
        [firstKey.slice(4, 16), 'revoked'],
        [secondKey.slice(4, 16), 'active'],
      ]),
    );
    expect(json.stdout).not.toContain('hash');

    const atRest = await target.atRest();
    for (const key of [firstKey, secondKey]) expect(atRest).not.toContain(key.slice(17));
  }, 60_000);

  test('create --json prints the key for scripts; unknown tenants and keys exit 1', async () => {
    const target = makeTarget();
    const created = await tenantCommand(['create', ...target.args, '--name', 'Json POS', '--vendor', 'J', '--json'], target.env);
    expect(created.code).toBe(0);
    const body = JSON.parse(created.stdout) as { tenantId: string; keyId: string; apiKey: string };
    expect(body.apiKey).toMatch(keyPattern);
    expect(body.apiKey.slice(4, 16)).toBe(body.keyId);
    expect(await authorizeWith(target.store(), body.apiKey)).toBe(body.tenantId);

    const unknownTenant = await tenantCommand(['rotate', ...target.args, '--tenant', 'nobody'], target.env);
    expect(unknownTenant).toMatchObject({ code: 1, stdout: '' });
    expect(unknownTenant.stderr).toMatch(/No tenant nobody/);
    const unknownKey = await tenantCommand(['revoke', ...target.args, '--key', 'abcdefghijkl'], target.env);
    expect(unknownKey.code).toBe(1);
    expect(unknownKey.stderr).toMatch(/No key abcdefghijkl/);
  }, 30_000);
});

describe('usage', () => {
  const file = () => ['--file', join(dir, 'usage', 'tenants.json')];
  test.each([
    ['no command', [] as string[]],
    ['an unknown command', ['delete', '--local']],
    ['no target', ['list']],
    ['two targets', ['list', '--local', '--table', 't']],
    ['an unknown option', ['list', '--local', '--verbose']],
    ['create without --vendor', ['create', '--local', '--name', 'A']],
    ['create without --name', ['create', '--local', '--vendor', 'A']],
    ['a rate that is not a number', ['create', '--local', '--name', 'A', '--vendor', 'A', '--rate', 'fast']],
    ['rotate without --tenant', ['rotate', '--local']],
    ['revoke without --key', ['revoke', '--local']],
    ['--stage with --table', ['list', '--stage', 'dev', '--table', 't']],
    ['--stage with --local', ['list', '--stage', 'dev', '--local']],
    ['an unknown stage', ['list', '--stage', 'staging']],
    ['--region without --stage or --table', ['list', '--local', '--region', 'ap-southeast-2']],
    ['attach-plan without --tenant', ['attach-plan', '--stage', 'dev']],
    ['attach-plan without --stage', ['attach-plan', '--local', '--tenant', 'x']],
  ])('%s → exit 2 with the usage text', async (_label, args) => {
    // In-process (fast); the spawned test below checks the real exit status.
    const out: string[] = [];
    const err: string[] = [];
    const io = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env: {} };
    expect(await runTenantCli(args.map((a) => (a === '--local' ? file() : [a])).flat(), io)).toBe(2);
    expect(err.join('')).toMatch(/^error: /);
    expect(err.join('')).toContain('Usage: npm run tenant');
    expect(out).toEqual([]);
  });

  test('the process exits with status 2 on wrong usage', async () => {
    const run = await tenantCommand(['rotate', ...file()]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: rotate needs --tenant/);
  });

  test('invalid input the store refuses → exit 2 with its reason, nothing written', async () => {
    const run = await tenantCommand(['create', ...file(), '--name', 'A', '--vendor', 'A', '--id', 'Has Spaces']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/tenant id must be/);
    const list = await tenantCommand(['list', ...file(), '--json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  test('--help → exit 0', async () => {
    const run = await tenantCommand(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('rotate --tenant <id>');
  });

  test('a table that does not exist → exit 1 with a clear message', async () => {
    const run = await tenantCommand(['list', '--table', 'no-such-table'], { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/table does not exist/);
  });
});

describe('usage plans (in-process, with a fake provisioner)', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return {
      out,
      err,
      io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env: { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint } },
    };
  };
  const fake = (provision: UsagePlanProvisioner['provision'] = async () => ({ usagePlanId: 'plan-fake', apiKeyId: 'apikey-fake', apiKeyValue: 'usage-identifier-fake-000000000000001' })) => {
    const provisioned: UsagePlanTenant[] = [];
    const deprovisioned: string[] = [];
    const usagePlans: UsagePlanProvisioner = {
      provision: async (tenant) => {
        provisioned.push(tenant);
        return provision(tenant);
      },
      deprovision: async (binding) => {
        deprovisioned.push(binding.apiKeyId);
      },
    };
    return { usagePlans, provisioned, deprovisioned };
  };
  const devStore = () => createDynamoTenantStore(DynamoDBDocumentClient.from(client), devTable);

  test('create --stage provisions the tenant\'s usage plan; the authorizer then returns its key as usageIdentifierKey', async () => {
    const { usagePlans, provisioned } = fake(async () => ({ usagePlanId: 'plan-acme', apiKeyId: 'apikey-acme', apiKeyValue: 'usage-identifier-for-metered-000001' }));
    const { out, io: streams } = io();
    const code = await runTenantCli(['create', '--stage', 'dev', '--name', 'Metered', '--vendor', 'M', '--id', 'metered-cli', '--rate', '5', '--burst', '10', '--quota', '1000', '--json'], streams, { usagePlans });
    expect(code).toBe(0);
    expect(provisioned).toEqual([{ tenantId: 'metered-cli', name: 'Metered', throttling: { rateLimit: 5, burstLimit: 10, dailyQuota: 1000 } }]);
    const body = JSON.parse(out.join('')) as { apiKey: string; usagePlanId: string; tenant: { usagePlanId: string } };
    expect(body.usagePlanId).toBe('plan-acme');
    expect(body.tenant.usagePlanId).toBe('plan-acme');
    expect(out.join('')).not.toContain('usage-identifier-for-metered');
    const result = await createAuthorizer({ store: devStore(), logger })(eventWith(body.apiKey));
    expect(result.usageIdentifierKey).toBe('usage-identifier-for-metered-000001');
  });

  test('the tenant id is drawn before provisioning, so the plan and the record name the same tenant', async () => {
    const { usagePlans, provisioned } = fake();
    const { out, io: streams } = io();
    expect(await runTenantCli(['create', '--stage', 'dev', '--name', 'No Id', '--vendor', 'N', '--json'], streams, { usagePlans })).toBe(0);
    const { tenantId } = JSON.parse(out.join('')) as { tenantId: string };
    expect(provisioned.map((t) => t.tenantId)).toEqual([tenantId]);
    expect((await devStore().getTenant(tenantId))?.usagePlanId).toBe('plan-fake');
  });

  test('provisioning fails → exit 1, no tenant written, no key shown', async () => {
    const { usagePlans } = fake(async () => {
      throw new Error('No usage plan named smartconnect-relay-dev in this account and region: deploy the stage first (npm run deploy:dev).');
    });
    const { out, err, io: streams } = io();
    expect(await runTenantCli(['create', '--stage', 'dev', '--name', 'Nope', '--vendor', 'N', '--id', 'never-created'], streams, { usagePlans })).toBe(1);
    expect(err.join('')).toMatch(/^error: No usage plan named smartconnect-relay-dev .*deploy the stage first/);
    expect(out).toEqual([]);
    expect(await devStore().getTenant('never-created')).toBeUndefined();
  });

  test('an existing tenant id or invalid input is refused before anything is provisioned', async () => {
    const { usagePlans, provisioned } = fake();
    const { io: first } = io();
    expect(await runTenantCli(['create', '--stage', 'dev', '--name', 'Taken', '--vendor', 'T', '--id', 'taken-id'], first, { usagePlans })).toBe(0);
    expect(provisioned).toHaveLength(1);
    const { err, io: again } = io();
    expect(await runTenantCli(['create', '--stage', 'dev', '--name', 'Taken', '--vendor', 'T', '--id', 'taken-id'], again, { usagePlans })).toBe(1);
    expect(err.join('')).toMatch(/already exists/);
    const { err: invalidErr, io: invalid } = io();
    expect(await runTenantCli(['create', '--stage', 'dev', '--name', 'Bad', '--vendor', 'B', '--id', 'Bad Id'], invalid, { usagePlans })).toBe(2);
    expect(invalidErr.join('')).toMatch(/tenant id must be/);
    expect(provisioned).toHaveLength(1);
  });

  test('attach-plan gives a tenant created with --table alone its plan, once', async () => {
    const { usagePlans, provisioned } = fake();
    const { io: plain } = io();
    // The same table under both names: --table alone, then --stage dev.
    expect(await runTenantCli(['create', '--table', devTable, '--name', 'Later', '--vendor', 'L', '--id', 'later-plan', '--quota', '500'], plain, { usagePlans })).toBe(0);
    expect(provisioned).toEqual([]);
    const { out: listed, io: listing } = io();
    expect(await runTenantCli(['list', '--stage', 'dev'], listing, { usagePlans })).toBe(0);
    expect(listed.join('')).toMatch(/later-plan[\s\S]*500\/day \(no usage plan\)/);
    expect(listed.join('')).toMatch(/no usage plan: .*attach-plan --stage dev --tenant <tenantId>/);

    const { out, io: attach } = io();
    expect(await runTenantCli(['attach-plan', '--stage', 'dev', '--tenant', 'later-plan'], attach, { usagePlans })).toBe(0);
    expect(provisioned).toEqual([{ tenantId: 'later-plan', name: 'Later', throttling: { dailyQuota: 500 } }]);
    expect(out.join('')).toMatch(/Usage plan plan-fake \(the tenant's own limits\) attached to tenant later-plan through API Gateway API key apikey-fake/);
    expect((await devStore().getTenant('later-plan'))?.usagePlanId).toBe('plan-fake');

    const { err, io: twice } = io();
    expect(await runTenantCli(['attach-plan', '--stage', 'dev', '--tenant', 'later-plan'], twice, { usagePlans })).toBe(1);
    expect(err.join('')).toMatch(/already has usage plan plan-fake/);
    expect(provisioned).toHaveLength(1);
  });

  test('--table alone never provisions, even with a provisioner at hand, and says so', async () => {
    const { usagePlans, provisioned } = fake();
    const { out, io: streams } = io();
    expect(await runTenantCli(['create', '--table', table, '--name', 'Plain', '--vendor', 'P'], streams, { usagePlans })).toBe(0);
    expect(provisioned).toEqual([]);
    expect(out.join('')).toMatch(/No API Gateway usage plan was provisioned \(--table alone never touches usage plans\)/);
  });

  test('without a provisioner, throttling is recorded and the admin is told no usage plan exists', async () => {
    const { out, io: streams } = io();
    const code = await runTenantCli(['create', '--table', table, '--name', 'Limited', '--vendor', 'L', '--rate', '5'], streams);
    expect(code).toBe(0);
    expect(out.join('')).toMatch(/no API Gateway usage plan was provisioned/);
  });
});

describe('--stage dev end to end (spawned, dynalite + the API Gateway stand-in)', () => {
  interface StoredTenant {
    usagePlan?: { usagePlanId: string; apiKeyId: string; apiKeyValue: string };
  }
  const storedTenant = async (tenantId: string) =>
    (await DynamoDBDocumentClient.from(client).send(new GetCommand({ TableName: devTable, Key: { pk: `TENANT#${tenantId}` } }))).Item as StoredTenant | undefined;

  test('create binds the tenant to the default plan; list shows it; rotate and revoke leave API Gateway alone', async () => {
    gateway.takeCalls();
    const created = await tenantCommand(['create', '--stage', 'dev', '--name', 'Acme POS', '--vendor', 'AcmePOS', '--id', 'acme-stage'], stageEnv());
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const [apiKey] = (created.stdout.match(keyPattern) ?? []) as [string];
    expect(created.stdout).toContain(`Usage plan ${devPlan.id} (the stage defaults) attached to tenant acme-stage`);
    expect(gateway.takeCalls()).toEqual(['GET /usageplans', 'POST /apikeys', `POST /usageplans/${devPlan.id}/keys`]);

    const record = await storedTenant('acme-stage');
    const usageKey = [...gateway.apiKeys.values()].find((k) => k.name === 'smartconnect-relay-dev-acme-stage');
    expect(record?.usagePlan).toEqual({ usagePlanId: devPlan.id, apiKeyId: usageKey?.id, apiKeyValue: usageKey?.value });
    expect(gateway.planKeys.get(devPlan.id)?.has(usageKey!.id)).toBe(true);
    const store = createDynamoTenantStore(DynamoDBDocumentClient.from(client), devTable);
    expect((await createAuthorizer({ store, logger })(eventWith(apiKey))).usageIdentifierKey).toBe(usageKey?.value);

    const listed = await tenantCommand(['list', '--stage', 'dev'], stageEnv());
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`acme-stage  "Acme POS"[\\s\\S]*?limits: +stage defaults \\(usage plan ${devPlan.id}\\)`));
    expect(listed.stdout).not.toContain(usageKey!.value);

    const rotated = await tenantCommand(['rotate', '--stage', 'dev', '--tenant', 'acme-stage'], stageEnv());
    expect(rotated.code).toBe(0);
    const revoked = await tenantCommand(['revoke', '--stage', 'dev', '--key', apiKey.slice(4, 16)], stageEnv());
    expect(revoked.code).toBe(0);
    expect(gateway.takeCalls()).toEqual([]);
    expect((await storedTenant('acme-stage'))?.usagePlan).toEqual(record?.usagePlan);
  }, 30_000);

  test('create with limits gives the tenant a plan of its own', async () => {
    const created = await tenantCommand(['create', '--stage', 'dev', '--name', 'Metered POS', '--vendor', 'M', '--id', 'metered-stage', '--rate', '2', '--quota', '100', '--json'], stageEnv());
    expect(created.code).toBe(0);
    expect(created.stderr).toMatch(/the tenant's own limits/);
    const { usagePlanId } = JSON.parse(created.stdout) as { usagePlanId: string };
    expect(gateway.usagePlans.get(usagePlanId)).toMatchObject({
      name: 'smartconnect-relay-dev-tenant-metered-stage',
      apiStages: [{ apiId: 'restapi01', stage: 'dev' }],
      throttle: { rateLimit: 2, burstLimit: 20 },
      quota: { limit: 100, period: 'DAY' },
    });
    expect((await storedTenant('metered-stage'))?.usagePlan?.usagePlanId).toBe(usagePlanId);
  }, 15_000);

  test('a stage without its default plan → exit 1, "deploy the stage first", nothing written anywhere', async () => {
    const keysBefore = gateway.apiKeys.size;
    const created = await tenantCommand(['create', '--stage', 'prod', '--name', 'Too Early', '--vendor', 'E', '--id', 'too-early'], stageEnv());
    expect(created.code).toBe(1);
    expect(created.stderr).toMatch(/^error: No usage plan named smartconnect-relay-prod in this account and region: deploy the stage first \(npm run deploy:prod\)/);
    expect(created.stdout).not.toMatch(keyPattern);
    expect(gateway.apiKeys.size).toBe(keysBefore);
    const listed = await tenantCommand(['list', '--stage', 'prod', '--json'], stageEnv());
    expect(JSON.parse(listed.stdout)).toEqual([]);
  }, 15_000);
});
