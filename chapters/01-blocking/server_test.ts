/**
 * The property that defines the blocking model: one client at a time. While
 * client A is connected, even idle, the server's only thread sleeps in A's
 * recv, so client B's bytes wait in the kernel until A leaves.
 */
import assert from "node:assert/strict";
import { chapterNamed } from "@echo-lab/harness/chapters";
import { startServer } from "@echo-lab/harness/process";
import {
  dial,
  readExactly,
  sleep,
  withTimeout,
  writeAll,
} from "@echo-lab/harness/net";

const chapter = chapterNamed("01-blocking");
const bytes = (text: string) => new TextEncoder().encode(text);

Deno.test("01-blocking: a second client is served only after the first leaves", async () => {
  await using server = await startServer(chapter);
  const a = await dial(server.port);
  using b = await dial(server.port);
  let echoB: Promise<Uint8Array>;
  try {
    // A gets its echo: the server has accepted A and sleeps in A's recv.
    await writeAll(a, bytes("A"));
    assert.deepEqual(await readExactly(a, 1), bytes("A"));

    // B's connect succeeded (the kernel completed the handshake into the
    // listen backlog), and its bytes sit in B's receive buffer, unread.
    await writeAll(b, bytes("B"));
    echoB = readExactly(b, 1);
    const early = await Promise.race([
      echoB.then(() => "echoed"),
      sleep(500).then(() => "waiting"),
    ]);
    assert.equal(early, "waiting", "B was echoed while A was connected");

    // A, idle all along, is still the one being served.
    await writeAll(a, bytes("again"));
    assert.deepEqual(await readExactly(a, 5), bytes("again"));
  } finally {
    a.close();
  }
  // A is gone: the server's recv returns 0, it closes A, accepts B.
  assert.deepEqual(
    await withTimeout(echoB, 5_000, "B's echo after A left"),
    bytes("B"),
  );
});
