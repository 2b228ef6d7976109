/**
 * Checks on what an administrator types (by hand rather than zod: this module is in the
 * authorizer's bundle, kept small), and the tenant ids the relay keeps for itself.
 */
import { generateKeyId } from '../api-keys.ts';
import { TenantStoreError, type NewTenant, type TenantThrottling } from './types.ts';

/** Most posVendorNames one tenant may hold. */
export const maxVendorNames = 20;

const tenantIdPattern = /^[a-z0-9][a-z0-9_-]{1,63}$/;
const singleLine = /^\P{Cc}*$/u;

export function isTenantId(value: unknown): value is string {
  return typeof value === 'string' && tenantIdPattern.test(value);
}

/**
 * Tenant ids the relay uses itself: `local` (npm start's own key and vendor name),
 * `local-<keyId>` (npm start's RELAY_API_KEY tenants) and `direct-invocation` (once the name of an
 * all-vendor operator; kept out of reach so no tenant can ever be mistaken for it).
 */
export function isReservedTenantId(tenantId: string): boolean {
  return tenantId === 'local' || tenantId.startsWith('local-') || tenantId === 'direct-invocation';
}

export function generateTenantId(): string {
  return `tnt_${generateKeyId()}${generateKeyId().slice(0, 4)}`;
}

function text(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string' || !/\S/.test(value)) throw invalid(`${field} must not be empty`);
  const trimmed = value.trim();
  if (trimmed.length > max) throw invalid(`${field} must be at most ${max} characters`);
  if (!singleLine.test(trimmed)) throw invalid(`${field} must not contain control characters`);
  return trimmed;
}

const invalid = (message: string) => new TenantStoreError('invalid-input', `${message}.`);

/** posVendorName has the same limits as in the pairing and transaction requests (64 characters). */
export function validateNewTenant(input: NewTenant): { name: string; posVendorNames: string[]; tenantId?: string; throttling?: TenantThrottling } {
  const name = text(input.name, 'name', 100);
  if (!Array.isArray(input.posVendorNames) || input.posVendorNames.length === 0) throw invalid('at least one posVendorName is required');
  const posVendorNames = [...new Set(input.posVendorNames.map((vendor) => text(vendor, 'posVendorName', 64)))];
  if (posVendorNames.length > maxVendorNames) throw invalid(`at most ${maxVendorNames} posVendorNames are allowed`);
  if (input.tenantId !== undefined && !isTenantId(input.tenantId)) {
    throw invalid('tenant id must be 2 to 64 characters: lowercase letters, digits, "-" and "_", starting with a letter or digit');
  }
  return { name, posVendorNames, ...(input.tenantId === undefined ? {} : { tenantId: input.tenantId }), ...validateThrottling(input.throttling) };
}

function validateThrottling(throttling: TenantThrottling | undefined): { throttling?: TenantThrottling } {
  if (throttling === undefined) return {};
  const { rateLimit, burstLimit, dailyQuota } = throttling;
  if (rateLimit !== undefined && !(Number.isFinite(rateLimit) && rateLimit > 0 && rateLimit <= 10_000)) throw invalid('rate must be a number of requests per second above 0 and at most 10000');
  if (burstLimit !== undefined && !(Number.isInteger(burstLimit) && burstLimit >= 1 && burstLimit <= 5_000)) throw invalid('burst must be a whole number from 1 to 5000');
  if (dailyQuota !== undefined && !(Number.isInteger(dailyQuota) && dailyQuota >= 1)) throw invalid('quota must be a whole number of requests per day, at least 1');
  const kept: TenantThrottling = {
    ...(rateLimit === undefined ? {} : { rateLimit }),
    ...(burstLimit === undefined ? {} : { burstLimit }),
    ...(dailyQuota === undefined ? {} : { dailyQuota }),
  };
  return Object.keys(kept).length === 0 ? {} : { throttling: kept };
}


/** One posVendorName as an administrator typed it (same limits as in the requests: 64 characters). */
export function validateVendorName(value: unknown): string {
  return text(value, 'posVendorName', 64);
}
