import assert from "node:assert/strict";
import {
  IoBuffer,
  IORING_ASYNC_CANCEL_ALL,
  IORING_ASYNC_CANCEL_ANY,
  IORING_CQE_F_MORE,
  IoUring,
  ioUringUnavailable,
  timespec,
} from "./io_uring.ts";
import {
  bufferId,
  BufferRing,
  IORING_CQE_F_BUFFER,
  IORING_SETUP_DEFER_TASKRUN,
  IORING_SETUP_SINGLE_ISSUER,
  prepAcceptMultishot,
  prepRecvMultishot,
  registerRingFd,
} from "./io_uring_modern.ts";
import {
  close,
  connectTo,
  openListener,
  recv,
  sendAll,
} from "@echo-lab/shared/socket";
import { libc } from "@echo-lab/shared/libc";
import { ECANCELED, EINVAL, ETIME } from "@echo-lab/shared/errno";
import { SHUT_RDWR, SHUT_WR, SOCK_CLOEXEC } from "@echo-lab/shared/constants";

const O_CLOEXEC = 0o2000000;

const unavailable = ioUringUnavailable();
if (unavailable) console.log(`skipping io_uring tests: ${unavailable}`);

const LOOPBACK = { family: "ipv4", host: "127.0.0.1", port: 0 } as const;

/** Runs `body` with a fresh ring, skipped (with the reason printed above)
 * where io_uring is unavailable. */
function ringTest(name: string, body: (ring: IoUring) => void) {
  Deno.test({
    name,
    ignore: unavailable !== null,
    fn() {
      const ring = IoUring.setup(8);
      try {
        body(ring);
      } finally {
        ring.close();
      }
    },
  });
}

/** Waits for the next `count` completions: [userData, result][]. */
function reap(ring: IoUring, count: number): [number, number][] {
  const seen: [number, number][] = [];
  while (seen.length < count) {
    ring.submitAndWait(1);
    ring.forEachCompletion((userData, result) => {
      seen.push([userData, result]);
    });
  }
  return seen;
}

ringTest("io_uring_setup sizes the rings and reports features", (ring) => {
  assert.equal(ring.sqEntries, 8);
  assert.ok(ring.cqEntries >= ring.sqEntries, "CQ at least as large as SQ");
  assert.ok(ring.fd >= 0);
});

ringTest("a NOP comes back with its user data", (ring) => {
  ring.prepNop(0xfeed_beef);
  ring.prepNop(7);
  assert.deepEqual(reap(ring, 2), [[0xfeed_beef, 0], [7, 0]]);
});

ringTest("more requests than the SQ holds are submitted in batches", (ring) => {
  for (let i = 0; i < 3 * ring.sqEntries; i++) ring.prepNop(i);
  const results = reap(ring, 3 * ring.sqEntries);
  assert.deepEqual(
    results.map(([userData]) => userData).sort((a, b) => a - b),
    [
      ...Array(3 * ring.sqEntries).keys(),
    ],
  );
});

ringTest("accept, recv and send complete over loopback", (ring) => {
  const listener = openListener(LOOPBACK);
  const client = connectTo(listener.address);
  let server = -1;
  try {
    ring.prepAccept(listener.fd, SOCK_CLOEXEC, 1);
    [[, server]] = reap(ring, 1);
    assert.ok(server >= 0, `accept result ${server}`);

    // The recv is queued before any byte exists: the kernel parks it and
    // copies the bytes into `buffer` when they arrive.
    const buffer = new IoBuffer(64);
    ring.prepRecv(server, buffer, 0, 64, 0, 2);
    ring.submit();
    sendAll(client, new TextEncoder().encode("ping"));
    assert.deepEqual(reap(ring, 1), [[2, 4]]);
    assert.equal(new TextDecoder().decode(buffer.bytes.subarray(0, 4)), "ping");

    const reply = new IoBuffer(new TextEncoder().encode("pong!"));
    ring.prepSend(server, reply, 1, 4, 0, 3); // "ong!"
    assert.deepEqual(reap(ring, 1), [[3, 4]]);
    const got = new Uint8Array(8);
    assert.equal(recv(client, got), 4);
    assert.equal(new TextDecoder().decode(got.subarray(0, 4)), "ong!");
  } finally {
    [client, listener.fd].forEach(close);
    if (server >= 0) close(server);
  }
});

ringTest("a pending accept ends with -EINVAL when the listener is shut down", (
  ring,
) => {
  // How the servers stop: the watchdog thread shuts the listener down, and
  // the accept the kernel was holding completes, waking io_uring_enter.
  const listener = openListener(LOOPBACK);
  try {
    ring.prepAccept(listener.fd, SOCK_CLOEXEC, 1);
    ring.submit();
    libc.shutdown(listener.fd, SHUT_RDWR);
    assert.deepEqual(reap(ring, 1), [[1, -EINVAL]]);
  } finally {
    close(listener.fd);
  }
});

ringTest("cancel-any ends every request in flight with -ECANCELED", (ring) => {
  const listener = openListener(LOOPBACK);
  const client = connectTo(listener.address);
  const cleanup = [client, listener.fd];
  try {
    const buffer = new IoBuffer(16);
    ring.prepAccept(listener.fd, SOCK_CLOEXEC, 1);
    const [[, server]] = reap(ring, 1);
    cleanup.push(server);
    ring.prepRecv(client, buffer, 0, 16, 0, 2);
    ring.prepAccept(listener.fd, SOCK_CLOEXEC, 3);
    ring.submit();
    ring.prepCancel(0, IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL, 4);
    const results = new Map(reap(ring, 3));
    assert.equal(results.get(2), -ECANCELED);
    assert.equal(results.get(3), -ECANCELED);
    assert.equal(results.get(4), 2, "the cancel reports how many it ended");
  } finally {
    cleanup.forEach(close);
  }
});

ringTest("a timeout completes with -ETIME after its duration", (ring) => {
  const duration = timespec(30);
  const started = performance.now();
  ring.prepTimeout(duration, 9);
  assert.deepEqual(reap(ring, 1), [[9, -ETIME]]);
  assert.ok(performance.now() - started >= 25, "waited for the timer");
});

ringTest("write and read move bytes through a pipe", (ring) => {
  const fds = new Int32Array(2);
  assert.equal(libc.pipe2(new Uint8Array(fds.buffer), O_CLOEXEC), 0);
  const [readEnd, writeEnd] = fds;
  try {
    const message = new IoBuffer(new TextEncoder().encode("through a pipe"));
    const length = message.bytes.byteLength;
    const buffer = new IoBuffer(32);
    // Offset -1: at the current position, as read(2) and write(2) do; the
    // only choice for a pipe, and sequential reading for a regular file.
    ring.prepRead(readEnd, buffer, 0, 32, -1, 5);
    ring.prepWrite(writeEnd, message, 0, length, -1, 6);
    const results = new Map(reap(ring, 2));
    assert.equal(results.get(6), length);
    assert.equal(results.get(5), length);
    assert.deepEqual(buffer.bytes.subarray(0, length), message.bytes);
  } finally {
    [readEnd, writeEnd].forEach(close);
  }
});

// #region modern
Deno.test({
  name:
    "multishot accept and recv over a buffer ring, on a registered single-issuer ring",
  ignore: unavailable !== null,
  fn() {
    const ring = IoUring.setup(8, {
      flags: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN,
    });
    const listener = openListener(LOOPBACK);
    const buffers = new BufferRing(ring, 3, 4, 64);
    const clients: number[] = [];
    try {
      registerRingFd(ring);
      // One accept request, two clients: two completions, both flagged MORE.
      prepAcceptMultishot(ring, listener.fd, SOCK_CLOEXEC, 1);
      clients.push(connectTo(listener.address), connectTo(listener.address));
      const accepted: number[] = [];
      while (accepted.length < 2) {
        ring.submitAndWait(1);
        ring.forEachCompletion((userData, result, flags) => {
          assert.equal(userData, 1);
          assert.ok(result >= 0, `accept result ${result}`);
          assert.ok(flags & IORING_CQE_F_MORE, "the accept stays armed");
          accepted.push(result);
        });
      }
      // One recv request, two messages: each lands in a buffer the kernel
      // picked from the ring, and the request stays armed.
      prepRecvMultishot(ring, accepted[0], 3, 2);
      const received: string[] = [];
      for (const text of ["first", "second"]) {
        sendAll(clients[0], new TextEncoder().encode(text));
        while (received.length < (text === "first" ? 1 : 2)) {
          ring.submitAndWait(1);
          ring.forEachCompletion((userData, result, flags) => {
            assert.equal(userData, 2);
            assert.ok(flags & IORING_CQE_F_BUFFER, "a buffer was picked");
            assert.ok(flags & IORING_CQE_F_MORE, "the recv stays armed");
            const id = bufferId(flags);
            received.push(
              new TextDecoder().decode(buffers.bytes(id, result)),
            );
            buffers.provide(id); // and straight back to the pool
          });
        }
        buffers.publish();
      }
      assert.deepEqual(received, ["first", "second"]);
      // The peer's FIN ends the multishot recv: result 0, no MORE.
      libc.shutdown(clients[0], SHUT_WR);
      const [[userData, result]] = reap(ring, 1);
      assert.deepEqual([userData, result], [2, 0]);
      // Shutting the listener down ends the multishot accept.
      libc.shutdown(listener.fd, SHUT_RDWR);
      assert.deepEqual(reap(ring, 1), [[1, -EINVAL]]);
      accepted.forEach(close);
    } finally {
      clients.forEach(close);
      close(listener.fd);
      buffers.close(ring);
      ring.close();
    }
  },
});
// #endregion
