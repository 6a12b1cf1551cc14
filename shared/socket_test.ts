import assert from "node:assert/strict";
import {
  accept4,
  close,
  connect,
  connectTo,
  halfClose,
  openListener,
  recv,
  send,
  sendAll,
  setLingerZero,
  setNonBlocking,
  shutdown,
  socket,
} from "./socket.ts";
import { SyscallError } from "./errno.ts";
import { SHUT_WR, SOCK_CLOEXEC, SOCK_NONBLOCK } from "./constants.ts";

const LOOPBACK = { family: "ipv4", host: "127.0.0.1", port: 0 } as const;

Deno.test("a listener, a connection and a round trip, all through libc", () => {
  const listener = openListener(LOOPBACK);
  assert.ok(listener.address.port > 0, "port 0 became a real port");
  const client = connectTo(listener.address);
  // The handshake completed in the kernel during connect; accept only takes
  // the finished connection off the queue, so it does not sleep here.
  const server = accept4(listener.fd)!;
  try {
    sendAll(client, new TextEncoder().encode("ping"));
    const buffer = new Uint8Array(16);
    assert.equal(recv(server, buffer), 4);
    assert.equal(new TextDecoder().decode(buffer.subarray(0, 4)), "ping");
    shutdown(client, SHUT_WR);
    assert.equal(recv(server, buffer), 0, "FIN reads as end of stream");
  } finally {
    [client, server, listener.fd].forEach(close);
  }
});

Deno.test("non-blocking calls return null instead of sleeping", () => {
  const listener = openListener(LOOPBACK, {
    flags: SOCK_NONBLOCK | SOCK_CLOEXEC,
  });
  const client = connectTo(listener.address);
  const server = accept4(listener.fd, SOCK_NONBLOCK | SOCK_CLOEXEC)!;
  try {
    assert.equal(accept4(listener.fd), null, "no second client queued");
    assert.equal(recv(server, new Uint8Array(8)), null, "nothing sent yet");
    setNonBlocking(client);
    // Fill the client's send buffer and the server's receive buffer.
    const chunk = new Uint8Array(1 << 20);
    let sent = 0, result;
    while ((result = send(client, chunk)) !== null) sent += result;
    assert.ok(sent > 0, "some bytes went out before the buffers filled");
  } finally {
    [client, server, listener.fd].forEach(close);
  }
});

Deno.test("failures name the call and the errno", () => {
  const first = openListener(LOOPBACK);
  try {
    assert.throws(
      () => openListener({ ...LOOPBACK, port: first.address.port }),
      (error: unknown) =>
        error instanceof SyscallError && error.call === "bind" &&
        error.code === "EADDRINUSE" &&
        error.message === "bind: EADDRINUSE (Address already in use)",
    );
  } finally {
    close(first.fd);
  }
  assert.throws(
    () => send(-1, new Uint8Array(1)),
    /^SyscallError: send: EBADF/,
  );
});

Deno.test("reusePort: listeners that all ask for it share a port; one that does not is refused", () => {
  const first = openListener(LOOPBACK, { reusePort: true });
  const at = { ...LOOPBACK, port: first.address.port };
  const second = openListener(at, { reusePort: true });
  try {
    assert.equal(second.address.port, first.address.port);
    assert.throws(() => openListener(at), /^SyscallError: bind: EADDRINUSE/);
  } finally {
    close(second.fd);
    close(first.fd);
  }
});

Deno.test("send to a reset peer is EPIPE or ECONNRESET, never SIGPIPE", () => {
  const listener = openListener(LOOPBACK);
  const client = connectTo(listener.address);
  const server = accept4(listener.fd)!;
  close(server);
  try {
    // The first send may be accepted; the peer answers it with RST, after
    // which sends fail. The process must survive to see the error.
    assert.throws(() => {
      for (let i = 0; i < 100; i++) sendAll(client, new Uint8Array(1024));
    }, /send: (EPIPE|ECONNRESET)/);
  } finally {
    close(client);
    close(listener.fd);
  }
});

Deno.test("send with a length sends only that prefix of the buffer", () => {
  const listener = openListener(LOOPBACK);
  const client = connectTo(listener.address);
  const server = accept4(listener.fd)!;
  try {
    const bytes = new TextEncoder().encode("pingpong");
    assert.equal(send(client, bytes, 0, 4), 4);
    const buffer = new Uint8Array(16);
    assert.equal(recv(server, buffer), 4);
    assert.throws(() => send(client, bytes, 0, 9), RangeError);
  } finally {
    [client, server, listener.fd].forEach(close);
  }
});

Deno.test("a non-blocking connect is finished by asking again", () => {
  const listener = openListener(LOOPBACK);
  const client = socket("ipv4", SOCK_NONBLOCK | SOCK_CLOEXEC);
  try {
    // false: EINPROGRESS, then EALREADY while the handshake runs; true once
    // it has completed. Loopback finishes in microseconds.
    let connected = connect(client, listener.address);
    for (let i = 0; i < 1_000_000 && !connected; i++) {
      connected = connect(client, listener.address);
    }
    assert.ok(connected, "the handshake completed");
  } finally {
    close(client);
    close(listener.fd);
  }
  // Nobody listens on the port just freed: asking again reports the refusal.
  const refused = socket("ipv4", SOCK_NONBLOCK | SOCK_CLOEXEC);
  try {
    assert.throws(() => {
      for (let i = 0; i < 1_000_000; i++) {
        if (connect(refused, listener.address)) return;
      }
    }, /connect: ECONNREFUSED/);
  } finally {
    close(refused);
  }
});

Deno.test("halfClose after a reset: no error of its own; the next recv names the reset", () => {
  const listener = openListener({ family: "ipv4", host: "127.0.0.1", port: 0 });
  const client = connectTo(listener.address);
  const server = accept4(listener.fd)!;
  try {
    setLingerZero(server);
    close(server); // sends RST
    // The RST crosses loopback at once; give it a moment all the same.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    assert.throws(() => shutdown(client, SHUT_WR), /shutdown: ENOTCONN/);
    halfClose(client); // the same failure, left for recv
    assert.throws(() => recv(client, new Uint8Array(8)), /recv: ECONNRESET/);
  } finally {
    close(client);
    close(listener.fd);
  }
});
