/**
 * The echo contract every server is held to (RFC 862, plus the project's
 * rules on half-close, resets and shutdown), as checks that take a running
 * server: `tests/conformance_test.ts` runs them on every chapter's server tasks,
 * and the exercises (`exercises/`) on the reader's own server.
 *
 * @module
 */
import assert from "node:assert/strict";
import type { Chapter } from "./chapters.ts";
import { descendants, isAlive, type RunningServer } from "./process.ts";
import {
  concat,
  connectSendAndReset,
  dial,
  dialMany,
  equalBytes,
  expectEcho,
  randomBytes,
  readExactly,
  readToEnd,
  sleep,
  withTimeout,
  writeAll,
} from "./net.ts";
import { runClient } from "./client.ts";

/** One check of the contract, on a server started from `chapter`. */
export type Check = (server: RunningServer, chapter: Chapter) => Promise<void>;

export const echoChecks: Record<string, Check> = {
  "echoes a short message": async ({ port }) => {
    using conn = await dial(port);
    const message = new TextEncoder().encode("hello, echo\n");
    await writeAll(conn, message);
    assert.deepEqual(await readExactly(conn, message.byteLength), message);
  },

  "echoes all 256 byte values": async ({ port }) => {
    using conn = await dial(port);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    await writeAll(conn, all);
    assert.deepEqual(await readExactly(conn, 256), all);
  },

  "streams 8 MiB while the client reads concurrently": async ({ port }) => {
    using conn = await dial(port);
    const payload = randomBytes(8 * 1024 * 1024, 42);
    // Odd chunk sizes so the server never sees aligned reads.
    const writing = writeAll(conn, payload, 65_521);
    const echoed = await readExactly(conn, payload.byteLength);
    await writing;
    assert(equalBytes(echoed, payload), "8 MiB echo differs");
  },

  "after half-close, echoes what is pending and then closes": async (
    { port },
  ) => {
    using conn = await dial(port);
    const payload = randomBytes(100_000, 7);
    await writeAll(conn, payload);
    await conn.closeWrite();
    const echoed = await withTimeout(readToEnd(conn), 10_000, "EOF");
    assert(equalBytes(echoed, payload), "half-close echo differs");
  },

  "survives 50 connect-then-close and still echoes": async ({ port }) => {
    for (let i = 0; i < 50; i++) (await dial(port)).close();
    await expectEcho(port, "still alive");
  },

  "survives a reset mid-transfer and still echoes": async ({ port }) => {
    connectSendAndReset(port, randomBytes(256 * 1024, 3));
    await sleep(50);
    await expectEcho(port, "after the reset");
  },

  "serves 20 clients with interleaved messages": async ({ port }) => {
    // Every client sends its messages in rounds interleaved with the others,
    // without waiting for echoes (so a one-at-a-time server passes too, as the
    // data fits in the kernel's socket buffers), then half-closes and reads
    // the whole echo back.
    const conns = await dialMany(port, 20);
    try {
      const sent = conns.map(() => [] as Uint8Array[]);
      for (let round = 0; round < 10; round++) {
        for (const [i, conn] of conns.entries()) {
          const message = new TextEncoder().encode(
            `client ${i} round ${round};`,
          );
          sent[i].push(message);
          await writeAll(conn, message);
        }
      }
      await Promise.all(conns.map((conn) => conn.closeWrite()));
      const echoes = await withTimeout(
        Promise.all(conns.map(readToEnd)),
        20_000,
        "echoes",
      );
      echoes.forEach((echo, i) => assert.deepEqual(echo, concat(sent[i])));
    } finally {
      conns.forEach((conn) => conn.close());
    }
  },

  "its client pipes 1 MiB byte for byte (stdin a pipe and a file)": async (
    { port },
    chapter,
  ) => {
    const input = randomBytes(1024 * 1024, 11);
    for (const stdin of ["pipe", "file"] as const) {
      const result = await runClient(chapter, port, input, stdin);
      assert.deepEqual(
        result.code,
        0,
        `client exit (${stdin}): ${result.stderr}`,
      );
      assert(equalBytes(result.stdout, input), `client output (${stdin})`);
    }
  },
};

/** Stops `server` with `signal` while one client is mid-conversation and
 * one idle: exit 0 within 2 s, and no process left behind. */
export async function assertCleanStop(
  server: RunningServer,
  signal: Deno.Signal,
) {
  // One client mid-conversation, one idle: neither may delay the exit.
  using busy = await dial(server.port);
  using idle = await dial(server.port);
  await writeAll(busy, new TextEncoder().encode("in flight"));
  await sleep(100);
  const family = descendants(server.pid);
  const started = performance.now();
  const code = await withTimeout(server.stop(signal), 5_000, "exit");
  assert.deepEqual(
    code,
    0,
    `exit code after ${signal}; stderr: ${server.stderr()}`,
  );
  assert(performance.now() - started < 2_000, `${signal} took over 2 s`);
  await sleep(100);
  const left = family.filter(isAlive);
  assert.deepEqual(left, [], `processes left behind after ${signal}`);
  void idle;
}
