/**
 * `npm run tenant -- <create|list|rotate|revoke|attach-plan> …`: tenant and API key administration
 * against a deployed stage (`--stage dev|prod`: its tenants table and API Gateway usage plans), a
 * tenants table alone (`--table`) or the local store (`--local`). See scripts/tenant-cli.ts (or `--help`).
 */
import { runTenantCli } from './tenant-cli.ts';

process.exitCode = await runTenantCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
