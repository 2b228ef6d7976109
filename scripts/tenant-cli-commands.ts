/** The tenant CLI's commands, run against a target scripts/tenant-cli.ts opened. */
import {
  generateTenantId,
  isReservedTenantId,
  TenantStoreError,
  validateNewTenant,
  type IssuedKey,
  type NewTenant,
  type TenantStore,
  type TenantSummary,
  type UsagePlanBinding,
} from '#tenants/tenant-store.ts';
import { describe, type Target } from './tenant-cli-targets.ts';
import { throttlingFrom, UsageError, type Values } from './tenant-cli-usage.ts';
import type { UsagePlanProvisioner } from './usage-plans.ts';

/** Runs one known command; refusals throw UsageError or TenantStoreError for the caller to report. */
export async function runTenantCommand(
  command: string,
  values: Values,
  target: Target,
  out: (text?: string) => void,
  err: (text: string) => void,
): Promise<number> {
  const { store, usagePlans } = target;

  switch (command) {
    case 'cleanup': {
      if (!usagePlans?.removeAll) throw new UsageError('cleanup needs --stage <dev|prod>: it removes what the CLI created in API Gateway for that stage');
      if (values.confirm !== values.stage) throw new UsageError(`cleanup cuts off every tenant of the stage: repeat its name, --confirm ${values.stage}`);
      const removed = await usagePlans.removeAll();
      if (values.json) out(JSON.stringify(removed));
      else {
        out(`Removed ${removed.apiKeyIds.length} API key(s) and ${removed.usagePlanIds.length} tenant usage plan(s) of stage ${values.stage} from API Gateway.`);
        out('The tenants table is unchanged; the stack can now be destroyed.');
      }
      return 0;
    }
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

    case 'add-vendor': {
      if (!values.tenant) throw new UsageError('add-vendor needs --tenant <tenantId>');
      if (!values.vendor?.length) throw new UsageError('add-vendor needs at least one --vendor <posVendorName>');
      let tenant: TenantSummary | undefined;
      const added: string[] = [];
      for (const vendor of values.vendor) {
        const result = await store.addVendorName(values.tenant, vendor);
        tenant = result.tenant;
        if (result.added) added.push(vendor.trim());
      }
      if (values.json) {
        out(JSON.stringify({ tenantId: values.tenant, added, posVendorNames: tenant?.posVendorNames ?? [] }, null, 2));
        return 0;
      }
      out(added.length > 0 ? `Tenant ${values.tenant} may now use posVendorName ${added.join(', ')}.` : `Tenant ${values.tenant} already had ${values.vendor.join(', ')}; nothing changed.`);
      out(`  posVendorName: ${tenant?.posVendorNames.join(', ')}`);
      if (target.kind !== 'local') out('API Gateway may keep serving a cached authorization without the new name until the authorizer cache TTL runs out.');
      return 0;
    }

    case 'list': {
      const tenants = await store.listTenants();
      const overlaps = await store.vendorOverlaps();
      if (values.json) {
        out(JSON.stringify(tenants, null, 2));
        for (const overlap of overlaps) err(`warning: posVendorName ${overlap.vendorKey} is listed by tenants ${overlap.tenantIds.join(', ')}${overlap.claimedBy === undefined ? '' : ` (claimed by ${overlap.claimedBy})`}`);
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
      if (overlaps.length > 0) {
        out();
        out(`${overlaps.length === 1 ? '1 posVendorName is' : `${overlaps.length} posVendorNames are`} held by more than one tenant (created before names were exclusive):`);
        for (const overlap of overlaps) {
          const claim = overlap.claimedBy === undefined ? '' : `; its claim names ${overlap.claimedBy}`;
          out(`  ${overlap.vendorKey}: listed by ${overlap.tenantIds.join(', ')}${claim}`);
        }
        out('Each of them can reach the others\' registers under that name. Move the name to one tenant: create a new tenant for the others with names of their own.');
      }
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
  // Refusals the store would make anyway, checked before API Gateway is touched.
  if (isReservedTenantId(tenantId)) throw new TenantStoreError('reserved-tenant-id', `Tenant id ${tenantId} is kept for the relay itself (local, local-…, direct-invocation); choose another id.`);
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
