/**
 * Which network addresses a webhook may be delivered to. Deployed stages deliver to public
 * addresses only: never loopback, private, shared (CGNAT), link-local (including the cloud
 * metadata service at 169.254.169.254 and fd00:ec2::254), multicast, reserved or documentation
 * ranges, and never an IPv4 address hidden inside IPv6 (mapped, NAT64, 6to4) that is one of those.
 */
import { isIP } from 'node:net';

/** [first octets as a number, prefix length] of IPv4 ranges that are not publicly routable. */
const privateV4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // shared address space (carrier-grade NAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, including the metadata service 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, including broadcast
];

const v4ToNumber = (address: string): number => address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

function isPublicV4(address: string): boolean {
  const value = v4ToNumber(address);
  return !privateV4.some(([base, bits]) => Math.floor(value / 2 ** (32 - bits)) === Math.floor(v4ToNumber(base) / 2 ** (32 - bits)));
}

/** The 16 bytes of an IPv6 address (any textual form, embedded IPv4 included). */
export function ipv6Bytes(address: string): number[] {
  let text = address.replace(/^\[|\]$/g, '').split('%')[0]!.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = v4ToNumber(v4[1]!);
    text = text.slice(0, v4.index) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.flatMap((group) => {
    const value = parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
}

const embeddedV4 = (bytes: readonly number[], offset: number): string => bytes.slice(offset, offset + 4).join('.');

function isPublicV6(address: string): boolean {
  const b = ipv6Bytes(address);
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible): judged as the IPv4 address.
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return isPublicV4(embeddedV4(b, 12));
  if (zeros(0, 12)) return false; // ::, ::1 and the deprecated IPv4-compatible form
  // 64:ff9b::/96 (NAT64) carries an IPv4 address a gateway would reach for us.
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return isPublicV4(embeddedV4(b, 12));
  // Only global unicast (2000::/3) is public; that excludes fc00::/7 (incl. fd00::/8 and the EC2
  // metadata fd00:ec2::254), fe80::/10 link-local, fec0::/10 and ff00::/8 multicast.
  if ((b[0]! & 0xe0) !== 0x20) return false;
  if (b[0] === 0x20 && b[1] === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return false; // documentation 2001:db8::/32
  if (b[0] === 0x20 && b[1] === 0x01 && b[2]! < 0x02) return false; // 2001::/23 IETF special purpose (Teredo, ORCHID…)
  if (b[0] === 0x20 && b[1] === 0x02) return false; // 6to4 2002::/16 wraps an arbitrary IPv4 address
  return true;
}

/** True only for a publicly routable unicast address. Anything unparsable is not public. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  switch (isIP(bare)) {
    case 4:
      return isPublicV4(bare);
    case 6:
      return isPublicV6(bare);
    default:
      return false;
  }
}

/** 127.0.0.0/8 and ::1 (and ::ffff:127.x): the addresses `npm start` may deliver to. */
export function isLoopbackAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) !== 6) return false;
  const b = ipv6Bytes(bare);
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return true;
  return b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff && b[12] === 127;
}
