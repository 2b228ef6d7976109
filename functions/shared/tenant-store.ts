/**
 * The tenant store, split into lib/tenants/store/: the logic written once over record operations
 * (store.ts), vendor claims (vendor-claims.ts) and one file per backend (dynamodb.ts, file.ts,
 * memory.ts). This module keeps the old import path working.
 */
export * from '../../lib/tenants/store/types.ts';
export { generateTenantId, isReservedTenantId, isTenantId, maxVendorNames, validateNewTenant, validateVendorName } from '../../lib/tenants/store/validation.ts';
export { createTenantStore } from '../../lib/tenants/store/store.ts';
export { findVendorOverlaps, vendorKey, vendorTaken } from '../../lib/tenants/store/vendor-claims.ts';
export { createDynamoTenantStore, dynamoTenantRecords, tenantTableClientConfig } from '../../lib/tenants/store/dynamodb.ts';
export { documentRecords, type TenantDocument } from '../../lib/tenants/store/document.ts';
export { createMemoryTenantStore, memoryTenantRecords } from '../../lib/tenants/store/memory.ts';
export { createFileTenantStore, fileTenantRecords, type FileTenantStoreOptions } from '../../lib/tenants/store/file.ts';
export { ensureTenantForKey, type LocalTenantOptions } from '../../lib/tenants/store/local-tenant.ts';
