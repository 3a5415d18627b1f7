/**
 * The `ip` claim's addresses (contract v1.1): an address or CIDR read the way
 * the contract allows it (canonical IPv4, any RFC 4291 IPv6 text form, no
 * zone, never IPv4-mapped, no host bits past the prefix), and whether a
 * client's address falls inside one. Minters check the claim with it, the
 * media Worker matches `CF-Connecting-IP` with it.
 */

/** An address or CIDR, as a family and the address's bits. */
export interface AddressRange {
  family: 4 | 6;
  bits: bigint;
  /** Leading bits that must match: 32 or 128 for a single address. */
  prefixLength: number;
}

interface Address {
  family: 4 | 6;
  bits: bigint;
}

const WIDTH = { 4: 32, 6: 128 } as const;
/** ::ffff:0:0/96, the IPv4-mapped block. */
const MAPPED_PREFIX = 0xffffn << 32n;
const CANONICAL_IPV4 = /^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}$/;
const PREFIX_LENGTH = /^(?:0|[1-9][0-9]{0,2})$/;
const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;

function parseIpv4(text: string): bigint | undefined {
  if (!CANONICAL_IPV4.test(text)) return undefined;
  let bits = 0n;
  for (const part of text.split(".")) {
    const octet = Number(part);
    if (octet > 255) return undefined;
    bits = (bits << 8n) | BigInt(octet);
  }
  return bits;
}

/** Any RFC 4291 text form (one `::` at most, a dotted quad last), no zone. */
function parseIpv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groupsOf = (half: string | undefined): number[] | undefined => {
    if (half === undefined || half === "") return [];
    const groups: number[] = [];
    const parts = half.split(":");
    for (const [index, part] of parts.entries()) {
      if (index === parts.length - 1 && part.includes(".")) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return undefined;
        groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (HEX_GROUP.test(part)) {
        groups.push(Number.parseInt(part, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]);
  const tail = groupsOf(halves[1]);
  if (head === undefined || tail === undefined) return undefined;
  // A dotted quad may only end the address.
  if (halves.length === 2 && (halves[0] ?? "").includes(".")) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  let bits = 0n;
  for (const group of [...head, ...Array<number>(halves.length === 1 ? 0 : missing).fill(0), ...tail])
    bits = (bits << 16n) | BigInt(group);
  return bits;
}

function parseAddress(text: string): Address | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, bits: v4 };
  const v6 = text.includes(":") ? parseIpv6(text) : undefined;
  return v6 === undefined ? undefined : { family: 6, bits: v6 };
}

function isMapped(address: Address): boolean {
  return address.family === 6 && address.bits >> 32n === MAPPED_PREFIX >> 32n;
}

function hostMask(family: 4 | 6, prefixLength: number): bigint {
  return (1n << BigInt(WIDTH[family] - prefixLength)) - 1n;
}

/**
 * An `ip` claim: a canonical IPv4 address, an IPv6 address (no zone, not
 * IPv4-mapped), or either as a CIDR with no host bits set past the prefix.
 * Undefined for anything else (the token is refused: `bad-ip`).
 */
export function parseAddressRange(claim: unknown): AddressRange | undefined {
  if (typeof claim !== "string") return undefined;
  const [addressText = "", lengthText, extra] = claim.split("/");
  if (extra !== undefined) return undefined;
  const address = parseAddress(addressText);
  if (address === undefined || isMapped(address)) return undefined;
  const width: number = WIDTH[address.family];
  let prefixLength = width;
  if (lengthText !== undefined) {
    if (!PREFIX_LENGTH.test(lengthText) || Number(lengthText) > width) return undefined;
    prefixLength = Number(lengthText);
  }
  if ((address.bits & hostMask(address.family, prefixLength)) !== 0n) return undefined;
  return { family: address.family, bits: address.bits, prefixLength };
}

/**
 * Whether the client address (`CF-Connecting-IP`, null when absent) falls
 * inside the range. An IPv4-mapped client compares as IPv4; an absent or
 * unreadable address, or another family, does not match.
 */
export function clientAddressMatches(range: AddressRange, client: string | null): boolean {
  if (client === null) return false;
  let address = parseAddress(client.trim());
  if (address === undefined) return false;
  if (isMapped(address)) address = { family: 4, bits: address.bits & 0xffffffffn };
  if (address.family !== range.family) return false;
  const mask = hostMask(range.family, range.prefixLength);
  return (address.bits & ~mask) === range.bits;
}
