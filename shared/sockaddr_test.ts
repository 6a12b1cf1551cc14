import assert from "node:assert/strict";
import {
  decodeSockaddr,
  encodeSockaddr,
  formatAddress,
  parseAddress,
} from "./sockaddr.ts";

Deno.test("sockaddr_in: port in network order, address after it", () => {
  const bytes = encodeSockaddr(parseAddress("127.0.0.1", 7007));
  assert.deepEqual(
    [...bytes],
    [2, 0, 0x1b, 0x5f, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0],
  );
  assert.deepEqual(decodeSockaddr(bytes), {
    family: "ipv4",
    host: "127.0.0.1",
    port: 7007,
  });
});

Deno.test("sockaddr_in6 round-trips and compresses zeros", async (t) => {
  for (
    const [input, canonical] of [
      ["::1", "::1"],
      ["::", "::"],
      ["fe80:0:0:0:1:0:0:2", "fe80::1:0:0:2"],
      ["2001:db8::ff00:42:8329", "2001:db8::ff00:42:8329"],
    ]
  ) {
    await t.step(input, () => {
      const bytes = encodeSockaddr(parseAddress(input, 80));
      assert.equal(bytes.byteLength, 28);
      assert.deepEqual(decodeSockaddr(bytes).host, canonical);
    });
  }
});

Deno.test("parseAddress refuses what it cannot bind", () => {
  for (const host of ["example.com", "256.0.0.1", "1.2.3", "1::2::3", ""]) {
    assert.throws(() => parseAddress(host, 1), /invalid host/);
  }
  assert.throws(() => parseAddress("127.0.0.1", 65536), /invalid port/);
  assert.equal(parseAddress("localhost", 1).host, "127.0.0.1");
});

Deno.test("formatAddress brackets IPv6", () => {
  assert.equal(formatAddress(parseAddress("::1", 7)), "[::1]:7");
  assert.equal(formatAddress(parseAddress("127.0.0.1", 7)), "127.0.0.1:7");
});
