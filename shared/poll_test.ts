import assert from "node:assert/strict";
import { PollFds, POLLHUP, POLLIN, pollOffThread } from "./poll.ts";
import { close, openListener, shutdown } from "./socket.ts";
import { SHUT_RDWR } from "./constants.ts";

Deno.test("pollOffThread: the event loop runs while it waits; shutdown wakes it", async () => {
  const listener = openListener({ family: "ipv4", host: "127.0.0.1", port: 0 });
  try {
    const fds = new PollFds(1);
    fds.set(0, listener.fd, POLLIN);
    let timerRan = false;
    // Both timers need this thread: with a plain poll(2) here neither would
    // run, and the shutdown that ends the wait would never happen.
    setTimeout(() => timerRan = true, 10);
    setTimeout(() => shutdown(listener.fd, SHUT_RDWR), 100);
    const ready = await pollOffThread(fds, 1, 5_000);
    assert.equal(ready, 1);
    assert(timerRan, "a timer ran during the wait");
    assert(fds.revents(0) & POLLHUP, "a shut-down listener reports POLLHUP");
  } finally {
    close(listener.fd);
  }
});

Deno.test("pollOffThread: times out with 0", async () => {
  const listener = openListener({ family: "ipv4", host: "127.0.0.1", port: 0 });
  try {
    const fds = new PollFds(1);
    fds.set(0, listener.fd, POLLIN);
    assert.equal(await pollOffThread(fds, 1, 20), 0);
  } finally {
    close(listener.fd);
  }
});
