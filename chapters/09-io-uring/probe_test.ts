import assert from "node:assert/strict";
import { IORING_OP_NOP, IoUring, ioUringUnavailable } from "./io_uring.ts";
import { ECHO_OPCODES, parseProbe, probe } from "./probe.ts";
import { IORING_OP_SEND_ZC } from "./zero_copy.ts";

/** A `struct io_uring_probe` as a kernel that knows opcodes 0..`lastOp`
 * and supports those in `supported` would fill it in. */
function fakeProbe(lastOp: number, supported: number[]): Uint8Array {
  const bytes = new Uint8Array(16 + 256 * 8);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, lastOp);
  view.setUint8(1, lastOp + 1); // ops_len
  for (let op = 0; op <= lastOp; op++) {
    view.setUint8(16 + op * 8, op);
    if (supported.includes(op)) view.setUint16(16 + op * 8 + 2, 1, true);
  }
  return bytes;
}

Deno.test("parseProbe: a kernel without SEND_ZC lacks it, by name", () => {
  // A 5.19 kernel: its last opcode is 46 (IORING_OP_URING_CMD); SEND_ZC,
  // 47, came in 6.0. Every opcode flagged supported but one.
  const all = Array.from({ length: 47 }, (_, op) => op);
  const support = parseProbe(fakeProbe(46, all.filter((op) => op !== 27)), 0);
  assert.equal(support.lastOp, 46);
  assert.equal(support.supports(IORING_OP_SEND_ZC), false);
  assert.deepEqual(support.missing([IORING_OP_SEND_ZC]), ["IORING_OP_SEND_ZC"]);
  // Opcode 27 is IORING_OP_RECV: flagged unsupported, so missing.
  assert.deepEqual(support.missing(ECHO_OPCODES), ["IORING_OP_RECV"]);
});

Deno.test("parseProbe: every echo opcode present, nothing missing", () => {
  const support = parseProbe(fakeProbe(60, ECHO_OPCODES), 0x20);
  assert.deepEqual(support.missing(ECHO_OPCODES), []);
  assert.equal(support.features, 0x20);
  assert.equal(support.supports(IORING_OP_NOP), false, "only those flagged");
});

const unavailable = ioUringUnavailable();
Deno.test({
  name: "probe asks this kernel: it supports NOP and the echo opcodes",
  ignore: unavailable !== null,
  fn() {
    const ring = IoUring.setup(4);
    try {
      const support = probe(ring);
      assert.ok(support.supports(IORING_OP_NOP));
      assert.deepEqual(support.missing(ECHO_OPCODES), []);
      assert.equal(support.features, ring.features);
    } finally {
      ring.close();
    }
  },
});
