import assert from "node:assert/strict";
import { FdSet, select } from "./select.ts";
import { close, write } from "@echo-lab/shared/socket";
import { libc } from "@echo-lab/shared/libc";

Deno.test("FdSet sets the bit the C macros would", () => {
  const set = new FdSet();
  set.add(0);
  set.add(9);
  set.add(1023);
  assert.equal(set.bytes[0], 0b1);
  assert.equal(set.bytes[1], 0b10);
  assert.equal(set.bytes[127], 0b1000_0000);
  assert.ok(set.has(9) && !set.has(8));
  set.clear();
  assert.ok(!set.has(9));
});

Deno.test("FdSet refuses descriptors past FD_SETSIZE", () => {
  assert.throws(() => new FdSet().add(1024), RangeError);
  assert.equal(new FdSet().has(5000), false);
});

Deno.test("select reports a readable pipe and clears the rest", () => {
  const fds = new Int32Array(2);
  assert.equal(libc.pipe2(new Uint8Array(fds.buffer), 0), 0);
  const [readEnd, writeEnd] = fds;
  try {
    const readable = new FdSet();
    readable.add(readEnd);
    assert.equal(select(readEnd + 1, readable, null, 0), 0);
    write(writeEnd, new Uint8Array([1]));
    readable.add(readEnd);
    assert.equal(select(readEnd + 1, readable, null, 1000), 1);
    assert.ok(readable.has(readEnd));
  } finally {
    close(readEnd);
    close(writeEnd);
  }
});
