// Exercise 09, made from server.ts by `deno task exercise:stubs`.
// `deno task exercise:reset 09` puts this file back as it was.
/**
 * Chapter 09: the io_uring echo server. Every earlier chapter waits to be told
 * that a socket is *ready*, then makes the call that copies the bytes. Here we
 * hand the kernel the calls themselves ("accept on this listener", "receive
 * into this buffer", "send these bytes") as entries in a ring buffer we share
 * with it, and sleep in io_uring_enter until some of them are *done*. The
 * kernel does the copies; we read results.
 *
 * One thread, no epoll, no recv or send system calls: io_uring_enter is the
 * only system call on the echo path (a finished connection also costs a
 * close).
 *
 * Run: deno task server [--host H] [--port P]
 *
 * @module
 */
import { announceListening, parseCli } from "@echo-lab/shared/cli";
import { MSG_NOSIGNAL, SOCK_CLOEXEC } from "@echo-lab/shared/constants";
import {
  ECONNABORTED,
  ECONNRESET,
  EPIPE,
  SyscallError,
} from "@echo-lab/shared/errno";
import {
  IoBuffer,
  IORING_ASYNC_CANCEL_ALL,
  IORING_ASYNC_CANCEL_ANY,
  IoUring,
  timespec,
} from "./io_uring.ts";
import { announceForm, ECHO_OPCODES, probe } from "./probe.ts";
import { exitUnsupported } from "@echo-lab/shared/platform";
import { listenOrExit } from "@echo-lab/shared/listen";
import { close } from "@echo-lab/shared/socket";
import { watchStopSignals } from "@echo-lab/shared/stop_signal";

// The ring, the listening socket and the stop watchdog, set up at the bottom
// of this file.
const { ring, listener, stop } = setUp();

// #region user-data
// Every request carries a 32-bit tag that comes back with its completion: the
// kind of request in the low 3 bits, the connection's fd above them. The fd is
// a safe name because a connection always has exactly one request in flight
// and is closed only once that request has completed, so no completion can
// arrive for an fd number after it has been reused.
const ACCEPT = 0, RECV = 1, SEND = 2, RETRY_ACCEPT = 3, CANCEL = 4;
const KIND_BITS = 3, KIND_MASK = (1 << KIND_BITS) - 1;
const tag = (kind: number, fd: number) => (fd << KIND_BITS) | kind;
// #endregion

// #region state
/** One client. Its buffer belongs to the kernel while a request on it is in
 * flight: written by a recv, read by a send, and referenced from here so the
 * garbage collector cannot free it under the kernel's feet. */
class Connection {
  readonly buffer = new IoBuffer(16 * 1024);
  fd = -1;
  /** Bytes the last recv delivered, and how many of them are sent. */
  received = 0;
  sent = 0;
}

const connections = new Map<number, Connection>();
// Closed connections' buffers, reused by the next clients: nothing on the
// path of an echo allocates.
const spare: Connection[] = [];
// True while an accept (or the timer before the next one) is in flight.
let accepting = true;
const ACCEPT_BACKOFF = timespec(100);
// #endregion

// #region loop
// TODO(loop): queue the first accept, then each turn submit what is queued,
// sleep until something completes, and handle every completion.
// I AM NOT DONE
// (delete the line above to have your code checked by
// `deno task exercise 09`; stuck? `deno task hint 09`)
shutDown();
// #endregion

// #region complete
/** One finished request. `result` is what the system call would have
 * returned, errors as -errno; the bytes are already where they belong. */
function complete(userData: number, result: number): void {
  const fd = userData >>> KIND_BITS;
  switch (userData & KIND_MASK) {
    case ACCEPT:
      return accepted(result);
    case RECV:
      return received(connections.get(fd)!, result);
    case SEND:
      return sent(connections.get(fd)!, result);
    case RETRY_ACCEPT: // the backoff timer fired (-ETIME) or was cancelled
      return acceptNext();
    case CANCEL: // each cancelled request reports for itself
      return;
  }
}
// #endregion

// #region accept
function accepted(result: number): void {
  if (stop.requested) {
    // The listener was shut down (that is how we woke), or a client slipped
    // in just before: turn it away, we are closing.
    if (result >= 0) close(result);
    accepting = false;
    return;
  }
  if (result >= 0) {
    const connection = spare.pop() ?? new Connection();
    connection.fd = result;
    connections.set(result, connection);
    receive(connection);
    acceptNext();
  } else if (result === -ECONNABORTED) {
    acceptNext(); // that client gave up while queued; take the next one
  } else {
    // EMFILE, ENFILE, ENOBUFS: the client stays queued, and accepting again
    // at once would fail again at once. Ask for the next accept in 100 ms:
    // the timer is one more request in the ring, so the loop keeps serving
    // every open connection meanwhile, and spends no CPU on the listener.
    console.error(`${new SyscallError("accept", -result).message}; 100 ms`);
    ring.prepTimeout(ACCEPT_BACKOFF, tag(RETRY_ACCEPT, 0));
  }
}

function acceptNext(): void {
  if (stop.requested) accepting = false;
  else ring.prepAccept(listener.fd, SOCK_CLOEXEC, tag(ACCEPT, listener.fd));
}
// #endregion

// #region echo
/** Ask for the next bytes: the kernel parks the request until some arrive,
 * copies them into `buffer`, and only then tells us. */
function receive({ fd, buffer }: Connection): void {
  ring.prepRecv(fd, buffer, 0, buffer.bytes.byteLength, 0, tag(RECV, fd));
}

function received(connection: Connection, result: number): void {
  // TODO(received): a receive completed: send those bytes back, or end the
  // connection on 0 or an error.
}

/** Ask the kernel to send what is left of the last recv. MSG_NOSIGNAL: a
 * peer that has gone is an -EPIPE result, never a process-killing SIGPIPE. */
function sendRest({ fd, buffer, received, sent }: Connection): void {
  ring.prepSend(fd, buffer, sent, received - sent, MSG_NOSIGNAL, tag(SEND, fd));
}

function sent(connection: Connection, result: number): void {
  // TODO(sent): a send completed: send the rest, or receive again once it has
  // all gone.
}

/** Ends a connection whose last request has completed, so the kernel holds
 * no reference to its buffer any more, and the buffer can be reused. */
function finish(connection: Connection, result: number, call: string): void {
  // A reset or broken pipe is a peer that left abruptly: routine.
  if (
    result < 0 && !stop.requested && result !== -ECONNRESET &&
    result !== -EPIPE
  ) {
    console.error(new SyscallError(call, -result).message);
  }
  close(connection.fd);
  connections.delete(connection.fd);
  if (spare.length < 1024) spare.push(connection);
}
// #endregion

// #region shutdown
/** SIGINT/SIGTERM. Every connection still has a request in flight that names
 * its buffer; closing sockets or unmapping the ring under them would leave
 * the kernel holding our memory. So: one request cancels all the others,
 * each cancelled request completes (-ECANCELED), its handler closes its
 * connection, and we exit once nothing is in flight. */
function shutDown(): never {
  ring.prepCancel(
    0,
    IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL,
    tag(CANCEL, 0),
  );
  while (accepting || connections.size > 0) {
    ring.submitAndWait(1);
    ring.forEachCompletion(complete);
  }
  stop.release(listener.fd);
  close(listener.fd);
  ring.close();
  stop.close();
  Deno.exit(0);
}
// #endregion

/** Parses the command line, sets up the ring, listens, and starts the stop
 * watchdog; on a bad argument or a failed call, one line on stderr and exit. */
function setUp() {
  const { address } = parseCli(Deno.args, {
    usage: "deno task server",
    summary:
      "Echo server on io_uring: the kernel does the I/O, we reap results.",
  });

  // #region setup
  let ring: IoUring;
  try {
    // 1,024 submission slots, 2,048 completion slots, in memory shared with
    // the kernel. More requests than that may be in flight: the SQ is handed
    // over whenever it fills, and the kernel holds completions that do not fit.
    ring = IoUring.setup(1024);
  } catch (error) {
    // ENOSYS (a kernel without io_uring), EPERM (sysctl
    // kernel.io_uring_disabled, or a container's seccomp profile): say so.
    exitUnsupported(
      `io_uring (Linux 5.19 or later, not disabled; here ${
        (error as Error).message
      })`,
    );
  }
  // Probe, do not assume: the requests we make, against the kernel's list.
  const missing = probe(ring).missing(ECHO_OPCODES);
  if (missing.length) exitUnsupported(`io_uring with ${missing.join(", ")}`);
  // One descriptor per client: take everything the hard limit allows.
  const listener = listenOrExit(address, { raiseFdLimit: true });
  // SIGINT/SIGTERM: the watchdog thread shuts the listener down, which ends our
  // pending accept with EINVAL: a completion, so io_uring_enter wakes up.
  const stop = watchStopSignals();
  stop.guard(listener.fd);
  announceListening(listener.address);
  announceForm(["classic (one request per accept, recv, send)"], []);
  // #endregion
  return { ring, listener, stop };
}
