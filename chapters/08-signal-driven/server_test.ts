/**
 * What makes chapter 08 signal-driven, checked from outside the process:
 * every socket has O_ASYNC, SIGIO is caught, the server uses no CPU while
 * nothing happens, and a stalled echo resumes on the kernel's signal alone.
 */
import assert from "node:assert/strict";
import { chapterNamed } from "@echo-lab/harness/chapters";
import { startServer, usageOver } from "@echo-lab/harness/process";
import {
  dial,
  dialMany,
  equalBytes,
  randomBytes,
  readExactly,
  sleep,
  withTimeout,
  writeAll,
} from "@echo-lab/harness/net";
import { O_ASYNC, O_NONBLOCK } from "@echo-lab/shared/constants";
import { catches, testModel } from "@echo-lab/harness/probe";
import { model } from "./model.ts";

const chapter = chapterNamed("08-signal-driven");

// The chapter's promise, as model.ts states it (the exercise grader runs it
// too), on every server task.
testModel(chapter, model);
const SIGIO = 29;

Deno.test("08 server: serves 50 concurrent clients and sleeps between signals", async (t) => {
  await using server = await startServer(chapter);
  const conns = await dialMany(server.port, 50);
  try {
    await t.step(
      "50 clients stream at once, every byte comes back",
      async () => {
        await Promise.all(conns.map(async (conn, i) => {
          const payload = randomBytes(64 * 1024, i + 1);
          // 1 KiB writes from 50 clients at once: far more state changes than
          // signals, since the kernel merges a pending SIGIO with the next.
          const writing = writeAll(conn, payload, 1024);
          const echoed = await readExactly(conn, payload.byteLength);
          await writing;
          assert.ok(equalBytes(echoed, payload), `client ${i} echo differs`);
        }));
      },
    );

    await t.step("the listener and every connection are signal-driven", () => {
      const sockets = serverSockets(server.pid, server.port);
      assert.equal(sockets.length, 51, "listener + 50 connections");
      for (const { fd, flags } of sockets) {
        assert.equal(
          flags & (O_ASYNC | O_NONBLOCK),
          O_ASYNC | O_NONBLOCK,
          `fd ${fd} flags 0${flags.toString(8)}`,
        );
      }
      assert.ok(catches(server.pid, SIGIO));
    });

    await t.step(
      "idle, with 50 clients connected, it uses no CPU",
      async () => {
        await sleep(200);
        const { cpu } = await usageOver(server.pid, 2_000);
        // A loop that polled would use up to 2 s here; a sleeping one, 0.
        assert.ok(cpu <= 0.1, `used ${cpu.toFixed(2)} s of CPU in 2 s idle`);
      },
    );

    await t.step("and wakes for the next message on any of them", async () => {
      const message = new TextEncoder().encode("still there?");
      await Promise.all(conns.map(async (conn) => {
        await writeAll(conn, message);
        assert.deepEqual(
          await withTimeout(
            readExactly(conn, message.byteLength),
            5_000,
            "echo",
          ),
          message,
        );
      }));
    });
  } finally {
    conns.forEach((conn) => conn.close());
  }
});

Deno.test("08 server: a stalled echo resumes on SIGIO alone, with no polling", async () => {
  await using server = await startServer(chapter);
  using conn = await dial(server.port);
  const payload = randomBytes(32 * 1024 * 1024, 8);
  // Send without reading: the echo fills our receive buffer and the
  // server's send buffer, so it parks the rest and stops reading us.
  const writing = writeAll(conn, payload, 256 * 1024);
  await sleep(300);
  const [stalled] = serverSockets(server.pid, server.port)
    .filter((socket) => socket.sendQueue > 0);
  assert.ok(stalled, "the server's send queue is full: its echo is stalled");
  const { cpu } = await usageOver(server.pid, 1_000);
  assert.ok(cpu <= 0.1, `used ${cpu.toFixed(2)} s of CPU while stalled`);
  // Reading frees space in the server's send buffer; the kernel's SIGIO
  // for it is the only thing that can restart the echo.
  const echoed = await withTimeout(
    readExactly(conn, payload.byteLength),
    20_000,
    "the echo",
  );
  await writing;
  assert.ok(equalBytes(echoed, payload), "echo differs");
});

/** The server's TCP sockets on `port` (its listener and its side of each
 * connection): fd, file status flags (/proc/PID/fdinfo) and how many bytes
 * wait in its send queue (/proc/PID/net/tcp). */
function serverSockets(pid: number, port: number) {
  const local = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  // /proc/PID/net/tcp: "sl local rem st tx_queue:rx_queue ... inode ...".
  const queued = new Map(
    Deno.readTextFileSync(`/proc/${pid}/net/tcp`).split("\n").slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[1]?.endsWith(local))
      .map((fields) => [fields[9], parseInt(fields[4].split(":")[0], 16)]),
  );
  const sockets = [];
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    const fd = Number(entry.name);
    let target;
    try {
      target = Deno.readLinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed while we looked
    }
    const inode = target.match(/^socket:\[(\d+)\]$/)?.[1];
    if (!inode || !queued.has(inode)) continue;
    const info = Deno.readTextFileSync(`/proc/${pid}/fdinfo/${fd}`);
    const flags = parseInt(info.match(/^flags:\s+(\d+)/m)![1], 8);
    sockets.push({ fd, flags, sendQueue: queued.get(inode)! });
  }
  return sockets;
}
