/**
 * API Gateway usage plans per tenant, behind an interface: the admin CLI calls it for `--stage`
 * targets and stores the binding on the tenant, and the authorizer then returns the binding's key
 * value as `usageIdentifierKey`. The AWS implementation is scripts/api-gateway-usage-plans.ts
 * (`@aws-sdk/client-api-gateway`, a devDependency: only this admin CLI uses it); tests of the CLI
 * alone may inject a fake.
 *
 * What an implementation must do (REST API with `apiKeySourceType: AUTHORIZER`, methods with
 * `apiKeyRequired: true`):
 * - `provision`: CreateApiKey (enabled, named after the tenant, value of 20+ random characters),
 *   then either CreateUsagePlan for the tenant's own throttling/quota on the stage and
 *   CreateUsagePlanKey, or, without per-tenant limits, CreateUsagePlanKey on the stage's default
 *   plan (created by infra with the stage config's limits). Every tenant needs a binding
 *   once methods require API keys: a request without a usage identifier would get 403.
 * - `deprovision`: DeleteUsagePlanKey / DeleteApiKey (and the tenant's own plan).
 */
import type { TenantThrottling, UsagePlanBinding } from '#tenants/tenant-store.ts';

export interface UsagePlanTenant {
  readonly tenantId: string;
  readonly name: string;
  readonly throttling?: TenantThrottling;
}

export interface UsagePlanProvisioner {
  /** Creates (or attaches) the tenant's usage-plan API key; returns what the tenant record keeps. */
  provision(tenant: UsagePlanTenant): Promise<UsagePlanBinding>;
  deprovision(binding: UsagePlanBinding): Promise<void>;
}
