/**
 * The tenant store, split into lib/tenants/store/: the logic written once over record operations
 * (store.ts), vendor claims (vendor-claims.ts) and one file per backend (dynamodb.ts, file.ts,
 * memory.ts). This module keeps the old import path working.
 */
export * from './store/types.ts';
export { generateTenantId, isReservedTenantId, isTenantId, maxVendorNames, validateNewTenant, validateVendorName } from './store/validation.ts';
export { createTenantStore } from './store/store.ts';
export { findVendorOverlaps, vendorKey, vendorTaken } from './store/vendor-claims.ts';
export { createDynamoTenantStore, dynamoTenantRecords, tenantTableClientConfig } from './store/dynamodb.ts';
export { documentRecords, type TenantDocument } from './store/document.ts';
export { createMemoryTenantStore, memoryTenantRecords } from './store/memory.ts';
export { createFileTenantStore, fileTenantRecords, type FileTenantStoreOptions } from './store/file.ts';
export { ensureTenantForKey, type LocalTenantOptions } from './store/local-tenant.ts';
