import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createFileTenantStore } from '#tenants/tenant-store.ts';
import { runTenantCli } from '../../scripts/tenant-cli.ts';

// `npm run tenant`: a posVendorName belongs to one tenant; the CLI says so without naming the other.
let dir: string;
let files = 0;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tenant-cli-vendors-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function cli(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) }, env: {} };
  const code = await runTenantCli(args, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const freshFile = () => join(dir, `t-${++files}`, 'tenants.json');

describe('vendor names are exclusive', () => {
  test('create refuses a name another tenant holds, in any case or width, naming no other tenant; nothing is written', async () => {
    const file = freshFile();
    const first = await cli(['create', '--file', file, '--name', 'First Platform', '--vendor', 'AcmePOS', '--id', 'first-platform']);
    expect(first.code).toBe(0);
    for (const vendor of ['AcmePOS', 'acmepos', 'ＡｃｍｅＰＯＳ']) {
      const second = await cli(['create', '--file', file, '--name', 'Second', '--vendor', 'Other', '--vendor', vendor]);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/^error: posVendorName .* already belongs to another tenant/);
      expect(second.stderr).not.toMatch(/first-platform|First Platform/);
      expect(second.stdout).not.toMatch(/scr_/);
    }
    const list = JSON.parse((await cli(['list', '--file', file, '--json'])).stdout) as { tenantId: string }[];
    expect(list.map((t) => t.tenantId)).toEqual(['first-platform']);
  });

  test('a name npm start serves (held for `local`) cannot be taken by a tenant', async () => {
    const file = freshFile();
    await createFileTenantStore(file).holdVendorNames('local', ['LocalPOS']);
    const taken = await cli(['create', '--file', file, '--name', 'Intruder', '--vendor', 'LocalPOS']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/already belongs to another tenant/);
    expect(taken.stderr).not.toMatch(/\blocal\b/);
  });

  test('add-vendor gives a tenant a free name, refuses a taken one, and says when nothing changed', async () => {
    const file = freshFile();
    await cli(['create', '--file', file, '--name', 'A', '--vendor', 'APos', '--id', 'tenant-a']);
    await cli(['create', '--file', file, '--name', 'B', '--vendor', 'BPos', '--id', 'tenant-b']);
    const added = await cli(['add-vendor', '--file', file, '--tenant', 'tenant-a', '--vendor', 'ATill']);
    expect(added).toMatchObject({ code: 0, stderr: '' });
    expect(added.stdout).toContain('may now use posVendorName ATill');
    expect(added.stdout).toContain('APos, ATill');
    expect((await cli(['add-vendor', '--file', file, '--tenant', 'tenant-a', '--vendor', 'ATill'])).stdout).toMatch(/nothing changed/);
    const taken = await cli(['add-vendor', '--file', file, '--tenant', 'tenant-b', '--vendor', 'atill']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).not.toContain('tenant-a');
    expect((await cli(['add-vendor', '--file', file, '--tenant', 'nobody', '--vendor', 'Free'])).code).toBe(1);
    expect((await cli(['add-vendor', '--file', file, '--vendor', 'Free'])).code).toBe(2);
  });

  test.each(['local', 'local-mine', 'direct-invocation'])('tenant id %s is reserved → exit 2', async (id) => {
    const file = freshFile();
    const run = await cli(['create', '--file', file, '--name', 'X', '--vendor', `V${id}`, '--id', id]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/kept for the relay itself/);
    expect(JSON.parse((await cli(['list', '--file', file, '--json'])).stdout)).toEqual([]);
  });

  test('list reports names that several tenants hold from before names were exclusive', async () => {
    const file = freshFile();
    const tenant = (tenantId: string) => ({ tenantId, name: tenantId, posVendorNames: ['SharedPOS'], createdAt: new Date().toISOString(), activeKeyIds: [] });
    await mkdir(join(file, '..'), { recursive: true });
    await writeFile(file, JSON.stringify({ version: 1, tenants: [tenant('old-a'), tenant('old-b')], keys: [] }));
    const list = await cli(['list', '--file', file]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/1 posVendorName is held by more than one tenant/);
    expect(list.stdout).toMatch(/sharedpos: listed by old-a, old-b/);
    const json = await cli(['list', '--file', file, '--json']);
    expect(json.stderr).toMatch(/warning: posVendorName sharedpos is listed by tenants old-a, old-b/);
  });
});
