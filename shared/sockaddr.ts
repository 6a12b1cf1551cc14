/**
 * `struct sockaddr_in` and `struct sockaddr_in6`, encoded into and decoded
 * from the bytes the kernel reads and writes.
 *
 * @example
 * ```ts
 * import { decodeSockaddr, encodeSockaddr, parseAddress } from "./sockaddr.ts";
 * const addr = parseAddress("127.0.0.1", 7007);
 * const bytes = encodeSockaddr(addr); // 16 bytes, port in network order
 * console.log(decodeSockaddr(bytes)); // { family: "ipv4", host: "127.0.0.1", port: 7007 }
 * ```
 *
 * @module
 */
import { AF_INET, AF_INET6 } from "./constants.ts";

/** A numeric IP address and a port. */
export interface SocketAddress {
  family: "ipv4" | "ipv6";
  host: string;
  port: number;
}

/** Size of the largest address we handle (`sockaddr_in6`). */
export const SOCKADDR_MAX = 28;

/** Parses a numeric IPv4/IPv6 address (or `localhost`) and a port.
 * Throws a `TypeError` with a readable message for anything else. */
export function parseAddress(host: string, port: number): SocketAddress {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`invalid port ${port}: expected 0-65535`);
  }
  if (host === "localhost") return { family: "ipv4", host: "127.0.0.1", port };
  if (ipv4Bytes(host)) return { family: "ipv4", host, port };
  if (ipv6Bytes(host)) return { family: "ipv6", host, port };
  throw new TypeError(
    `invalid host "${host}": expected a numeric IPv4 or IPv6 address`,
  );
}

/** Encodes an address as `sockaddr_in` (16 bytes) or `sockaddr_in6` (28). */
export function encodeSockaddr(addr: SocketAddress): Uint8Array<ArrayBuffer> {
  const v4 = addr.family === "ipv4";
  const bytes = new Uint8Array(v4 ? 16 : 28);
  const view = new DataView(bytes.buffer);
  // sa_family is in host byte order, sin_port in network (big-endian) order.
  view.setUint16(0, v4 ? AF_INET : AF_INET6, true);
  view.setUint16(2, addr.port, false);
  if (v4) bytes.set(ipv4Bytes(addr.host)!, 4);
  else bytes.set(ipv6Bytes(addr.host)!, 8);
  return bytes;
}

/** Decodes a `sockaddr_in` or `sockaddr_in6` written by the kernel. */
export function decodeSockaddr(bytes: Uint8Array): SocketAddress {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = view.getUint16(0, true);
  const port = view.getUint16(2, false);
  if (family === AF_INET) {
    return { family: "ipv4", host: bytes.subarray(4, 8).join("."), port };
  }
  if (family === AF_INET6) {
    const groups = [];
    for (let i = 0; i < 8; i++) groups.push(view.getUint16(8 + 2 * i, false));
    return { family: "ipv6", host: formatIpv6(groups), port };
  }
  throw new TypeError(`unsupported address family ${family}`);
}

/** `HOST:PORT`, with brackets around an IPv6 host. */
export function formatAddress(addr: SocketAddress): string {
  return addr.family === "ipv6"
    ? `[${addr.host}]:${addr.port}`
    : `${addr.host}:${addr.port}`;
}

function ipv4Bytes(host: string): Uint8Array | null {
  const parts = host.split(".");
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => /^\d{1,3}$/.test(p) ? Number(p) : 256);
  return bytes.every((b) => b <= 255) ? new Uint8Array(bytes) : null;
}

function ipv6Bytes(host: string): Uint8Array | null {
  const halves = host.split("::");
  if (halves.length > 2) return null;
  const groups = halves.map((h) => h === "" ? [] : h.split(":"));
  const given = groups.flat();
  if (!given.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const missing = 8 - given.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = halves.length === 1
    ? given
    : [...groups[0], ...Array(missing).fill("0"), ...groups[1]];
  const bytes = new Uint8Array(16);
  const view = new DataView(bytes.buffer);
  all.forEach((g, i) => view.setUint16(2 * i, parseInt(g, 16), false));
  return bytes;
}

function formatIpv6(groups: number[]): string {
  // RFC 5952: compress the longest run of zero groups (two or more) as "::".
  let bestStart = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j + 1;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLen).join(":");
  return `${head}::${tail}`;
}
