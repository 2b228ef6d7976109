/** The tenant CLI's usage text and argument parsing (scripts/tenant-cli.ts runs the commands). */
import { parseArgs } from 'node:util';
import type { TenantThrottling } from '#tenants/tenant-store.ts';

export const usage = `Usage: npm run tenant -- <command> <target> [options]

Commands:
  create --name <name> --vendor <posVendorName> [--vendor <another>…] [--id <tenantId>]
         [--rate <req/s> --burst <requests> --quota <requests/day>]
                          Create a tenant and print its API key (shown once). With --stage, also
                          its API Gateway usage plan: the stage's default plan, or a plan of its
                          own when --rate/--burst/--quota are given (unset ones keep the stage's).
  list                    List tenants, their key ids and usage plans (never keys or hashes), and
                          any posVendorName that more than one tenant lists.
  add-vendor --tenant <id> --vendor <posVendorName> [--vendor <another>…]
                          Let a tenant use another posVendorName. A name belongs to one tenant
                          only (compared ignoring case and Unicode width): a taken one is refused.
  rotate --tenant <id>    Issue a second key; the old one keeps working until revoked.
                          The tenant keeps its usage plan.
  revoke --key <keyId>    Revoke a key at once. The tenant keeps its usage plan.
  attach-plan --tenant <id>
                          (--stage only) Give a tenant that has none its usage plan, e.g. one
                          created with --table alone.
  cleanup --confirm <stage>
                          (--stage only) Before destroying a stage: remove every API Gateway API
                          key and tenant usage plan this CLI created for it (outside CloudFormation),
                          so cdk destroy is not blocked. Every tenant of the stage loses access.

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


export class UsageError extends Error {}

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
  confirm: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

export function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function throttlingFrom(values: Values): TenantThrottling | undefined {
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
