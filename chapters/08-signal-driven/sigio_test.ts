import assert from "node:assert/strict";
import { enableSigio, SignalLatch } from "./sigio.ts";
import { signalBit, signalSet } from "@echo-lab/harness/probe";
import {
  accept4,
  close,
  connectTo,
  fcntl,
  openListener,
  recv,
  send,
  shutdown,
} from "@echo-lab/shared/socket";
import {
  F_GETFL,
  MSG_DONTWAIT,
  O_ASYNC,
  O_NONBLOCK,
  SHUT_WR,
} from "@echo-lab/shared/constants";

const LOOPBACK = { family: "ipv4", host: "127.0.0.1", port: 0 } as const;

/** Resolves true at the next signal, false after `ms` without one. */
async function signalled(latch: SignalLatch, ms = 2_000): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([latch.wait().then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("SignalLatch remembers one wake-up, not how many", async () => {
  const latch = new SignalLatch("SIGIO");
  try {
    latch.set();
    latch.set();
    await latch.wait(); // resolves at once: a wake-up was pending
    const second = latch.wait();
    assert.throws(() => latch.wait(), /already waiting/);
    latch.set();
    await second;
  } finally {
    latch.close();
  }
});

Deno.test("SIGIO reports each state change of a signal-driven socket", async (t) => {
  const sigio = new SignalLatch("SIGIO");
  const listener = openListener(LOOPBACK);
  enableSigio(listener.fd);
  const flags = fcntl(listener.fd, F_GETFL);
  assert.equal(flags & (O_ASYNC | O_NONBLOCK), O_ASYNC | O_NONBLOCK);
  const client = connectTo(listener.address);
  let server = -1;
  try {
    await t.step("a connection queued on the listener", async () => {
      assert.ok(await signalled(sigio), "SIGIO for the new connection");
      server = accept4(listener.fd)!;
      assert.equal(
        fcntl(server, F_GETFL) & O_ASYNC,
        0,
        "accepted sockets do not inherit O_ASYNC",
      );
      enableSigio(server);
    });
    await t.step("data arriving", async () => {
      send(client, new TextEncoder().encode("ping"));
      assert.ok(await signalled(sigio), "SIGIO for the data");
      assert.equal(recv(server, new Uint8Array(16)), 4);
    });
    await t.step("output space after send hit EAGAIN", async () => {
      const chunk = new Uint8Array(64 * 1024);
      while (send(server, chunk) !== null) { /* fill both buffers */ }
      const sink = new Uint8Array(1 << 20);
      while (recv(client, sink, MSG_DONTWAIT) !== null) {
        // drain the client side so the server's send buffer empties
      }
      assert.ok(await signalled(sigio), "SIGIO for the free space");
      assert.ok((send(server, chunk) ?? 0) > 0, "send works again");
    });
    await t.step("a FIN", async () => {
      shutdown(client, SHUT_WR);
      assert.ok(await signalled(sigio), "SIGIO for the FIN");
    });
  } finally {
    [client, server, listener.fd].filter((fd) => fd >= 0).forEach(close);
    sigio.close();
  }
});

const SIGIO_BIT = signalBit(29);
/** Whether SIGIO is in one of this thread's signal sets. */
const hasSigio = (field: "SigBlk" | "SigPnd" | "ShdPnd") =>
  (signalSet("thread-self", field) & SIGIO_BIT) !== 0n;

Deno.test("SIGIO goes to this thread and waits, blocked, until the next wait", async () => {
  const sigio = new SignalLatch("SIGIO");
  let delivered = 0;
  const count = () => delivered++;
  Deno.addSignalListener("SIGIO", count);
  const listener = openListener(LOOPBACK);
  const client = connectTo(listener.address);
  let server = -1;
  let keepAlive: ReturnType<typeof setTimeout> | undefined;
  try {
    assert.ok(hasSigio("SigBlk"), "blocked");
    server = accept4(listener.fd)!;
    enableSigio(server);
    for (const word of ["one", "two", "three"]) {
      send(client, new TextEncoder().encode(word));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.ok(hasSigio("SigPnd"), "pending for this thread");
    assert.ok(!hasSigio("ShdPnd"), "not for the whole process");
    assert.equal(delivered, 0, "nothing delivered while blocked");

    // A signal listener alone does not keep a test's event loop turning.
    keepAlive = setTimeout(() => {}, 2_000);
    const woken = sigio.wait();
    assert.ok(!hasSigio("SigBlk"), "unblocked in wait()");
    await woken;
    assert.equal(delivered, 1, "three changes, one delivery");
    assert.ok(hasSigio("SigBlk"), "blocked again");
    assert.equal(recv(server, new Uint8Array(16)), "onetwothree".length);
  } finally {
    clearTimeout(keepAlive);
    [client, server, listener.fd].filter((fd) => fd >= 0).forEach(close);
    Deno.removeSignalListener("SIGIO", count);
    sigio.close();
  }
  assert.ok(!hasSigio("SigBlk"), "close() unblocks");
});
