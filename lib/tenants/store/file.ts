import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createTenantStore } from './store.ts';
import { documentRecords, emptyDocument, type TenantDocument } from './document.ts';
import { TenantStoreError, type TenantRecords, type TenantStore, type TenantStoreOptions } from './types.ts';

export interface FileTenantStoreOptions extends TenantStoreOptions {
  /** How long to wait for another process's lock before giving up (ms). */
  readonly lockTimeoutMs?: number;
}

/**
 * A store in one JSON file. Every call reads the file afresh, so a running local server sees what
 * the CLI just did (a revocation works at once); every change is a read-modify-write under an
 * exclusive lock file (`<file>.lock`, created with O_EXCL) and lands by atomic rename, so the CLI and
 * the local server can share the file. A lock left by a crashed process is broken after 10 s.
 */
export function createFileTenantStore(path: string, options: FileTenantStoreOptions = {}): TenantStore {
  return createTenantStore(fileTenantRecords(path, options), options);
}

export function fileTenantRecords(path: string, options: Pick<FileTenantStoreOptions, 'lockTimeoutMs'> = {}): TenantRecords {
  const lockPath = `${path}.lock`;
  const lockTimeoutMs = options.lockTimeoutMs ?? 5_000;
  const staleLockMs = 10_000;

  const read = async (): Promise<TenantDocument> => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyDocument();
      throw error;
    }
    try {
      const doc = JSON.parse(text) as Partial<TenantDocument>;
      if (doc.version !== 1 || !Array.isArray(doc.tenants) || !Array.isArray(doc.keys)) throw new Error('unexpected shape');
      return doc as TenantDocument;
    } catch (error) {
      // Never overwrite a file we cannot read: it may hold the only record of a tenant.
      throw new TenantStoreError('store-unreadable', `${path} is not a tenant store (version 1 JSON); fix or move it.`, { cause: error });
    }
  };

  const lock = async (): Promise<() => Promise<void>> => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const deadline = Date.now() + lockTimeoutMs;
    for (;;) {
      try {
        const handle = await open(lockPath, 'wx', 0o600);
        await handle.close();
        return () => unlink(lockPath).catch(() => undefined);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
      if (age > staleLockMs) {
        await unlink(lockPath).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${lockPath} is held by another process; try again (delete it if no tenant command is running).`);
      await new Promise((resolve) => setTimeout(resolve, 15 + Math.random() * 20));
    }
  };

  return documentRecords({
    read,
    update: async (change) => {
      const release = await lock();
      try {
        const doc = await read();
        const { save, result } = change(doc);
        if (save) {
          const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
          await writeFile(temporary, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
          await rename(temporary, path);
        }
        return result;
      } finally {
        await release();
      }
    },
  });
}
