/** npm start's own tenants: one per RELAY_API_KEY, under the reserved ids `local-<keyId>`. */
import { hashApiKey, parseApiKey } from '../api-keys.ts';
import { TenantStoreError, type TenantStore } from './types.ts';

export interface LocalTenantOptions {
  /** The plaintext key to accept (RELAY_API_KEY, or one the local server just generated). */
  readonly apiKey: string;
  readonly posVendorNames: readonly string[];
  readonly name?: string;
}

/**
 * For `npm start`: makes `apiKey` authenticate, creating tenant `local-<keyId>` for it unless the key
 * already works. One tenant per distinct key, so changing RELAY_API_KEY never collides with an earlier
 * run's tenant. Returns the tenant's actual vendor names (an earlier run may have set others).
 */
export async function ensureTenantForKey(store: TenantStore, options: LocalTenantOptions): Promise<{ tenantId: string; keyId: string; posVendorNames: readonly string[]; created: boolean }> {
  const parsed = parseApiKey(options.apiKey);
  if (!parsed) throw new TenantStoreError('invalid-input', 'The API key is not a relay key (expected scr_<12 characters>_<43 characters>).');
  const found = await store.findActiveKey(parsed.keyId);
  if (found) {
    if (found.key.hash !== hashApiKey(options.apiKey)) throw new TenantStoreError('key-exists', `Key id ${parsed.keyId} belongs to another key; choose another key.`);
    return { tenantId: found.tenant.tenantId, keyId: parsed.keyId, posVendorNames: found.tenant.posVendorNames, created: false };
  }
  const { tenant } = await store.createTenant({
    tenantId: `local-${parsed.keyId}`,
    name: options.name ?? 'Local POS',
    posVendorNames: options.posVendorNames,
    apiKey: options.apiKey,
    ownedByRelay: true,
  });
  return { tenantId: tenant.tenantId, keyId: parsed.keyId, posVendorNames: tenant.posVendorNames, created: true };
}

