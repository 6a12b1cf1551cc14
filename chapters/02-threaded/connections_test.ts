import assert from "node:assert/strict";
import { ConnectionTable } from "./connections.ts";
import {
  accept4,
  close,
  connectTo,
  openListener,
  recv,
} from "@echo-lab/shared/socket";

Deno.test("ConnectionTable: claims up to its capacity, release makes room", () => {
  const table = new ConnectionTable(2);
  const worker = new ConnectionTable(table.buffer); // another thread's view
  assert.equal(table.claim(10), 0);
  assert.equal(table.claim(11), 1);
  assert.equal(table.claim(12), null, "full");
  assert.equal(worker.live, 2);
  worker.release(0, 10);
  assert.equal(table.live, 1);
  assert.equal(table.claim(12), 0, "the freed slot is reused");
});

Deno.test("ConnectionTable: shutdownAll wakes every live connection", () => {
  const listener = openListener({
    family: "ipv4",
    host: "127.0.0.1",
    port: 0,
  });
  const client = connectTo(listener.address);
  const server = accept4(listener.fd)!;
  try {
    const table = new ConnectionTable(4);
    const slot = table.claim(server)!;
    assert.equal(table.stopping, false);
    table.shutdownAll();
    assert.equal(table.stopping, true);
    // A blocking recv on the server side returns at once: end of stream.
    assert.equal(recv(server, new Uint8Array(8)), 0);
    // And the client sees our FIN.
    assert.equal(recv(client, new Uint8Array(8)), 0);
    table.release(slot, server); // the slot is not left BUSY
    assert.equal(table.live, 0);
  } finally {
    close(server);
    close(client);
    close(listener.fd);
  }
});
