import { createTenantStore } from './store.ts';
import { documentRecords, emptyDocument, type TenantDocument } from './document.ts';
import type { TenantRecords, TenantStore, TenantStoreOptions } from './types.ts';

/** An in-memory store: tests, and a throwaway tenant for a local run that should leave no file behind. */
export function createMemoryTenantStore(options?: TenantStoreOptions): TenantStore {
  return createTenantStore(memoryTenantRecords(), options);
}

export function memoryTenantRecords(): TenantRecords {
  let doc = emptyDocument();
  const clone = (d: TenantDocument): TenantDocument => structuredClone(d);
  return documentRecords({
    read: async () => clone(doc),
    update: async (change) => {
      const draft = clone(doc);
      const { save, result } = change(draft);
      if (save) doc = draft;
      return result;
    },
  });
}

