import assert from "node:assert/strict";
import {
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLL_EVENT_SIZE,
  epollCreate1,
  epollCtl,
  EPOLLET,
  EpollEvents,
  EPOLLIN,
  epollWait,
} from "./epoll.ts";
import { libc } from "./libc.ts";
import { close, read, write } from "./socket.ts";

/** `struct epoll_event` as the kernel headers define it: packed on x86_64,
 * naturally aligned on aarch64. [size, offset of data] */
const LAYOUT: Record<string, [number, number]> = {
  x86_64: [12, 4],
  aarch64: [16, 8],
};

function pipe(): [number, number] {
  const fds = new Int32Array(2);
  assert.equal(libc.pipe2(new Uint8Array(fds.buffer), 0), 0);
  return [fds[0], fds[1]];
}

Deno.test("EPOLL_EVENT_SIZE matches this architecture's struct", () => {
  assert.equal(EPOLL_EVENT_SIZE, LAYOUT[Deno.build.arch][0]);
});

Deno.test("the kernel writes events at our stride, data at our offset", () => {
  const [size, dataOffset] = LAYOUT[Deno.build.arch];
  const epfd = epollCreate1();
  const pipes = [pipe(), pipe()];
  try {
    // Register each read end by hand with a full 64-bit data value: the fd in
    // the low half, a marker in the high half. A wrong offset or size would
    // read the marker as the fd, or the next entry from the wrong place.
    for (const [readEnd] of pipes) {
      const event = new DataView(new ArrayBuffer(size));
      event.setUint32(0, EPOLLIN, true);
      event.setBigUint64(dataOffset, 0xC0FFEE00000000n | BigInt(readEnd), true);
      assert.equal(
        libc.epoll_ctl(
          epfd,
          EPOLL_CTL_ADD,
          readEnd,
          new Uint8Array(event.buffer),
        ),
        0,
      );
    }
    for (const [, writeEnd] of pipes) write(writeEnd, new Uint8Array([1]));

    const events = new EpollEvents(3);
    events.bytes.fill(0xee); // untouched bytes keep this value
    assert.equal(epollWait(epfd, events, 1000), 2);
    const view = new DataView(events.bytes.buffer);
    const fds = [events.fd(0), events.fd(1)].sort((a, b) => a - b);
    assert.deepEqual(
      fds,
      pipes.map(([readEnd]) => readEnd).sort((a, b) => a - b),
    );
    for (let i = 0; i < 2; i++) {
      assert.equal(events.events(i), EPOLLIN);
      assert.equal(
        view.getBigUint64(i * size + dataOffset, true),
        0xC0FFEE00000000n | BigInt(events.fd(i)),
      );
    }
    // Exactly two structs were written: the third slot is untouched.
    assert.ok(events.bytes.subarray(2 * size).every((b) => b === 0xee));
  } finally {
    pipes.flat().forEach(close);
    close(epfd);
  }
});

Deno.test("epollCtl's fd comes back; level- versus edge-triggered", () => {
  const epfd = epollCreate1();
  const [readEnd, writeEnd] = pipe();
  const events = new EpollEvents(4);
  try {
    epollCtl(epfd, EPOLL_CTL_ADD, readEnd, EPOLLIN);
    assert.equal(epollWait(epfd, events, 0), 0, "empty pipe: not ready");
    write(writeEnd, new Uint8Array(8));
    assert.equal(epollWait(epfd, events, 0), 1);
    assert.equal(events.fd(0), readEnd);
    assert.equal(events.events(0), EPOLLIN);
    // Level-triggered: still readable, so reported again and again.
    assert.equal(epollWait(epfd, events, 0), 1, "level: reported again");

    // Edge-triggered: the MOD reports the current state once...
    epollCtl(epfd, EPOLL_CTL_MOD, readEnd, EPOLLIN | EPOLLET);
    assert.equal(epollWait(epfd, events, 0), 1, "edge: reported once");
    // ...then silence, although 8 bytes are still unread...
    assert.equal(epollWait(epfd, events, 0), 0, "edge: no new arrival");
    read(readEnd, new Uint8Array(4));
    assert.equal(epollWait(epfd, events, 0), 0, "edge: reading is no edge");
    // ...until new bytes arrive.
    write(writeEnd, new Uint8Array(1));
    assert.equal(epollWait(epfd, events, 0), 1, "edge: new bytes, new edge");

    epollCtl(epfd, EPOLL_CTL_DEL, readEnd, 0);
    assert.equal(epollWait(epfd, events, 0), 0, "deleted: never reported");
  } finally {
    [readEnd, writeEnd, epfd].forEach(close);
  }
});
