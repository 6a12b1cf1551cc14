/**
 * Zero-copy send against a plain send: 64 KiB messages over one loopback
 * TCP connection, sent and received by this process through one ring (a
 * recv always in flight on the receiving socket). Three forms, alternated
 * over three rounds:
 *
 * - `send`: IORING_OP_SEND, the kernel copies our bytes into its pages;
 * - `send_zc`: IORING_OP_SEND_ZC, it lends our pages to the packets and
 *   says with a notification (IORING_CQE_F_NOTIF) when they are ours again;
 *   a buffer with a notification still to come is never reused;
 * - `send_zc fixed`: the same from a registered buffer, pinned once
 *   (IORING_REGISTER_BUFFERS) instead of on every request.
 *
 * For each: throughput, this process's CPU (user + system, both ends of
 * the connection) per message, and how many notifications said the kernel
 * copied after all. Run from chapters/09-io-uring:
 *
 *     deno run -A lab/send_zc.ts > lab/send_zc.txt
 */
import process from "node:process";
import { describeMachine, machineLine } from "@echo-lab/harness/machine";
import { parseAddress } from "@echo-lab/shared/sockaddr";
import {
  accept4,
  close,
  connectTo,
  openListener,
} from "@echo-lab/shared/socket";
import { MSG_NOSIGNAL } from "@echo-lab/shared/constants";
import { SyscallError } from "@echo-lab/shared/errno";
import { IoBuffer, IORING_CQE_F_MORE, IoUring } from "../io_uring.ts";
import { probe } from "../probe.ts";
import {
  copiedAfterAll,
  IORING_CQE_F_NOTIF,
  IORING_OP_SEND_ZC,
  prepSendZc,
  registerBuffers,
} from "../zero_copy.ts";

const MESSAGE = 64 * 1024, MESSAGES = 8192; // 512 MiB per round
const FORMS = ["send", "send_zc", "send_zc fixed"] as const;
type Form = typeof FORMS[number];
const RECV = 0, SEND = 1; // user data: SEND + buffer index for a send

const listener = openListener(parseAddress("127.0.0.1", 0));
const sender = connectTo(listener.address);
const receiver = accept4(listener.fd)!;
const ring = IoUring.setup(64);
if (!probe(ring).supports(IORING_OP_SEND_ZC)) {
  console.log("this kernel has no IORING_OP_SEND_ZC (Linux 6.0)");
  Deno.exit(0);
}
const sink = new IoBuffer(256 * 1024);
// Two buffers: one can be sent while the other waits for its notification.
const buffers = [new IoBuffer(MESSAGE), new IoBuffer(MESSAGE)];
for (const b of buffers) b.bytes.fill(0x61);
registerBuffers(ring, buffers);

console.log(
  `# ${machineLine(await describeMachine(), new Date().toISOString())}, ` +
    `load: ${Deno.loadavg().map((n) => n.toFixed(2)).join(" ")}`,
);
console.log("# command: deno run -A lab/send_zc.ts");
console.log(
  `# ${MESSAGES} messages of ${MESSAGE / 1024} KiB per round, loopback TCP`,
);
for (let round = 1; round <= 3; round++) {
  for (const form of FORMS) {
    const r = transfer(form);
    console.log(
      `round ${round} ${form.padEnd(13)} ${
        (MESSAGE * MESSAGES / 2 ** 20 / r.seconds).toFixed(0)
      } MiB/s, ${r.cpuUsPerMessage.toFixed(1)} µs CPU per message, ` +
        `${r.notifications} notifications, ${r.copied} of them copied`,
    );
  }
}
ring.close();
for (const fd of [sender, receiver, listener.fd]) close(fd);

/** Sends MESSAGES messages with `form` and receives them all. */
function transfer(form: Form) {
  const total = MESSAGE * MESSAGES;
  let sent = 0, received = 0, notifications = 0, copied = 0;
  let sending = false, current = 0, offset = 0;
  const lent = [0, 0]; // notifications still to come, per buffer
  const cpu = process.cpuUsage(), started = performance.now();
  ring.prepRecv(receiver, sink, 0, sink.bytes.length, 0, RECV);
  while (received < total) {
    if (!sending && sent < total && (form === "send" || !lent[current])) {
      const length = MESSAGE - offset;
      const buffer = buffers[current];
      if (form === "send") {
        ring.prepSend(sender, buffer, offset, length, MSG_NOSIGNAL, SEND);
      } else {
        prepSendZc(
          ring,
          sender,
          buffer,
          offset,
          length,
          MSG_NOSIGNAL,
          SEND + current,
          form === "send_zc fixed" ? current : null,
        );
      }
      sending = true;
    }
    ring.submitAndWait(1);
    ring.forEachCompletion((userData, result, flags) => {
      if (result < 0 && !(flags & IORING_CQE_F_NOTIF)) {
        throw new SyscallError(userData === RECV ? "recv" : "send", -result);
      }
      if (userData === RECV) {
        received += result;
        if (received < total) {
          ring.prepRecv(receiver, sink, 0, sink.bytes.length, 0, RECV);
        }
      } else if (flags & IORING_CQE_F_NOTIF) {
        // The kernel holds no reference to this buffer any more.
        lent[userData - SEND]--;
        notifications++;
        if (copiedAfterAll(result)) copied++;
      } else {
        if (flags & IORING_CQE_F_MORE) lent[userData - SEND]++;
        sending = false;
        sent += result;
        offset += result;
        if (offset === MESSAGE) [offset, current] = [0, 1 - current];
      }
    });
  }
  // Every notification in before the next form starts.
  while (lent[0] + lent[1] > 0) {
    ring.submitAndWait(1);
    ring.forEachCompletion((userData, result, flags) => {
      if (flags & IORING_CQE_F_NOTIF) {
        lent[userData - SEND]--;
        notifications++;
        if (copiedAfterAll(result)) copied++;
      }
    });
  }
  const seconds = (performance.now() - started) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  return {
    seconds,
    cpuUsPerMessage: (user + system) / MESSAGES,
    notifications,
    copied,
  };
}
