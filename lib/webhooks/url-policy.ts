/**
 * Where a webhook endpoint may point. Checked when it is registered and again before every
 * delivery, with the addresses its host resolves to at that moment: a name that resolved to a
 * public address at registration and to 169.254.169.254 later (DNS rebinding) is refused then,
 * and the delivery connects to the address that was checked, never to a fresh lookup.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { isLoopbackAddress, isPublicAddress } from './address-policy.ts';

/** Every address a host name resolves to (injected in tests to play DNS answers that change). */
export type Resolver = (hostname: string) => Promise<readonly string[]>;

export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

export interface UrlPolicy {
  /** `npm start` only: also http(s)://localhost and http(s)://127.0.0.1 (loopback addresses only). */
  readonly allowLoopback: boolean;
  readonly resolve: Resolver;
}

export type UrlCheck =
  | { readonly ok: true; readonly url: URL; readonly address: string }
  | { readonly ok: false; readonly reason: string };

export const maxUrlLength = 2048;

const loopbackNames = new Set(['localhost', '127.0.0.1', '[::1]']);

export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<UrlCheck> {
  if (raw.length > maxUrlLength) return { ok: false, reason: `is longer than ${maxUrlLength} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not an absolute URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'must not carry a user name or password' };
  const loopbackName = policy.allowLoopback && loopbackNames.has(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopbackName)) {
    return { ok: false, reason: policy.allowLoopback ? 'must use https (or http://localhost / http://127.0.0.1 locally)' : 'must use https' };
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: readonly string[];
  if (isIP(host)) {
    addresses = [host];
  } else {
    try {
      addresses = await policy.resolve(host);
    } catch {
      return { ok: false, reason: `has a host (${host}) that does not resolve` };
    }
  }
  if (addresses.length === 0) return { ok: false, reason: `has a host (${host}) that does not resolve` };
  // Every address must pass: a client may connect to any of them.
  const allowed = (address: string) => isPublicAddress(address) || (loopbackName && isLoopbackAddress(address));
  const refused = addresses.find((address) => !allowed(address));
  if (refused !== undefined) {
    return { ok: false, reason: `resolves to ${refused}, which is not a public address (loopback, private, link-local and metadata addresses are refused)` };
  }
  return { ok: true, url, address: addresses[0]! };
}
