/**
 * Client-side helpers for the suites: connect, send, read back, compare.
 *
 * @module
 */
import { connectTo, send, setLingerZero } from "@echo-lab/shared/socket";
import { close } from "@echo-lab/shared/socket";
import assert from "node:assert/strict";
import { explainFailure, type RunningServer } from "./process.ts";

/** Connects to a test server on 127.0.0.1. */
export function dial(port: number): Promise<Deno.TcpConn> {
  return Deno.connect({ hostname: "127.0.0.1", port });
}

/** `n` bytes from a seeded generator: random-looking, and reproducible when a
 * failing case is rerun. */
export function randomBytes(n: number, seed = n): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** Writes all of `bytes` in chunks of `chunk` bytes. */
export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
  chunk = bytes.byteLength,
): Promise<void> {
  for (let off = 0; off < bytes.byteLength;) {
    off += await conn.write(bytes.subarray(off, off + chunk));
  }
}

/** Reads exactly `n` bytes (rejects on EOF before that). */
export async function readExactly(
  conn: Deno.Conn,
  n: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  for (let off = 0; off < n;) {
    const got = await conn.read(out.subarray(off));
    if (got === null) throw new Error(`EOF after ${off} of ${n} bytes`);
    off += got;
  }
  return out;
}

/** Reads until the peer closes. */
export async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  for (let n; (n = await conn.read(buffer)) !== null;) {
    chunks.push(buffer.slice(0, n));
  }
  return concat(chunks);
}

/** Joins byte arrays. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let off = 0;
  for (const chunk of chunks) {
    out.set(chunk, off);
    off += chunk.byteLength;
  }
  return out;
}

/** Opens a connection, sends `bytes`, then closes with SO_LINGER 0 so the
 * kernel sends a RST instead of a FIN: an abrupt reset mid-transfer. */
export function connectSendAndReset(port: number, bytes: Uint8Array): void {
  const fd = connectTo({ family: "ipv4", host: "127.0.0.1", port });
  send(fd, bytes);
  setLingerZero(fd);
  close(fd);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One connection, one message, its echo back within 10 s. */
export async function expectEcho(port: number, text: string) {
  using conn = await dial(port);
  const message = new TextEncoder().encode(text);
  await writeAll(conn, message);
  assert.deepEqual(
    await withTimeout(readExactly(conn, message.byteLength), 10_000, "echo"),
    message,
  );
}

/** Opens `count` connections at once, in batches of `batch` so the listen
 * backlog (1,024) never overflows. On failure, closes those it opened. */
export async function dialMany(
  port: number,
  count: number,
  batch = 500,
): Promise<Deno.TcpConn[]> {
  const conns: Deno.TcpConn[] = [];
  try {
    while (conns.length < count) {
      const size = Math.min(batch, count - conns.length);
      const opened = await Promise.allSettled(
        Array.from({ length: size }, () => dial(port)),
      );
      for (const result of opened) {
        if (result.status === "fulfilled") conns.push(result.value);
      }
      const failed = opened.find((result) => result.status === "rejected");
      if (failed) throw failed.reason;
    }
    return conns;
  } catch (error) {
    conns.forEach((conn) => conn.close());
    throw error;
  }
}

/** Connection `i` sends 64 bytes that only it sends, and must get exactly
 * those back. */
export async function expectOwnEcho(conn: Deno.Conn, i: number) {
  const message = randomBytes(64, i + 1);
  new DataView(message.buffer).setUint32(0, i); // unique even if seeds collide
  await writeAll(conn, message);
  const echo = await readExactly(conn, message.byteLength);
  assert.ok(equalBytes(echo, message), `connection ${i} got another's echo`);
}

/** Every connection sends its own 64 bytes at once and must get exactly
 * those back within `timeoutMs`; a failure says whether `server` is still
 * running and what it logged. */
export function expectOwnEchoes(
  server: RunningServer,
  conns: Deno.Conn[],
  timeoutMs: number,
): Promise<void[]> {
  return explainFailure(
    server,
    withTimeout(
      Promise.all(conns.map(expectOwnEcho)),
      timeoutMs,
      `${conns.length} echoes`,
    ),
  );
}

/** Byte-for-byte equality without a huge diff on failure. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Rejects if `promise` takes longer than `ms`, so a hung server fails one
 * step instead of the whole run. */
export async function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
