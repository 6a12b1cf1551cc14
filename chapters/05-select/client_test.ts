/**
 * The multiplexing client: its one select watches stdin and the socket, so
 * an echo comes back while stdin is still open, and at end of stdin it
 * half-closes and still prints everything the server had in flight.
 */
import assert from "node:assert/strict";
import { chapterNamed, taskCommand } from "@echo-lab/harness/chapters";
import { startServer } from "@echo-lab/harness/process";
import {
  concat,
  equalBytes,
  randomBytes,
  withTimeout,
} from "@echo-lab/harness/net";

const chapter = chapterNamed("05-select");

Deno.test("05-select client: echoes while stdin is open, then half-closes at end of file and loses nothing", async () => {
  await using server = await startServer(chapter, "server");
  const [cmd, ...args] = taskCommand(chapter, "client", [
    "--port",
    String(server.port),
  ]);
  const client = new Deno.Command(cmd, {
    args,
    cwd: chapter.dir,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(client.stderr).text();
  const stdout = client.stdout.getReader();
  const stdin = client.stdin.getWriter();
  const line = new TextEncoder().encode("first line, stdin still open\n");
  const bulk = randomBytes(2 * 1024 * 1024, 5);
  const received: Uint8Array[] = [];
  let total = 0;
  const readUntil = async (bytes: number) => {
    while (total < bytes) {
      const { value, done } = await stdout.read();
      if (done) break;
      received.push(value);
      total += value.byteLength;
    }
  };
  try {
    await stdin.write(line);
    await withTimeout(readUntil(line.byteLength), 10_000, "the first echo");
    assert.equal(total, line.byteLength, "the echo came while stdin is open");
  } finally {
    // Then a burst, and end of file right behind it: what is in flight when
    // the client half-closes must still come back. (Read while writing, as a
    // terminal would: the client's stdout is a pipe of limited size.)
    const rest = withTimeout(readUntil(Infinity), 20_000, "the rest");
    await stdin.write(bulk);
    await stdin.close();
    await rest;
  }
  const status = await client.status;
  assert.equal(status.code, 0, await stderr);
  const all = concat(received);
  assert.equal(all.byteLength, line.byteLength + bulk.byteLength);
  assert.ok(equalBytes(all.subarray(line.byteLength), bulk), "echo differs");
});
