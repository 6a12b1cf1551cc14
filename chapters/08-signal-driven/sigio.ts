/**
 * Signal-driven I/O: `fcntl(F_SETOWN_EX)` and `O_ASYNC` ask the kernel to
 * send this thread SIGIO whenever something happens on a descriptor, and
 * {@linkcode SignalLatch} turns that signal into a promise a loop can await.
 *
 * The signal says "something happened on one of your descriptors", nothing
 * more: not which descriptor, not what. For a TCP socket the kernel raises it
 * when data or a FIN arrives, when a connection is queued on a listener, when
 * a connect completes, on errors and resets, and when output space frees up
 * after a send hit EAGAIN. SIGIO is a standard signal, so several raised
 * before it is delivered arrive as one.
 *
 * @example
 * ```ts
 * import { enableSigio, SignalLatch } from "./sigio.ts";
 * import { accept4, close, openListener } from "@echo-lab/shared/socket";
 *
 * // Catch SIGIO before any descriptor can raise it: by default it kills.
 * const sigio = new SignalLatch("SIGIO");
 * const listener = openListener({ family: "ipv4", host: "127.0.0.1", port: 0 });
 * enableSigio(listener.fd);
 * const client = await Deno.connect({ port: listener.address.port });
 * await sigio.wait(); // the kernel queued the connection and told us
 * const fd = accept4(listener.fd)!;
 * [fd, listener.fd].forEach(close);
 * client.close();
 * sigio.close();
 * ```
 *
 * @module
 */
import { fcntl } from "@echo-lab/shared/socket";
import { check, SyscallError } from "@echo-lab/shared/errno";
import { errnoCell, openLibc } from "@echo-lab/shared/libc";
import {
  F_GETFL,
  F_SETFL,
  O_ASYNC,
  O_NONBLOCK,
} from "@echo-lab/shared/constants";

// #region enable
/** Makes `fd` non-blocking and signal-driven: the kernel will send SIGIO to
 * the calling thread whenever the descriptor's state changes. The owner is
 * set first, so the first signal has somewhere to go. Install a SIGIO
 * listener before calling this: SIGIO's default action ends the process.
 * Accepted sockets do not inherit either setting from their listener
 * (accept(2), "Linux notes"): call this for each one.
 *
 * Why a thread and not the process (`F_SETOWN` with our pid): the kernel
 * hands a signal sent to a process to any one of its threads that does not
 * block it (signal(7)), and Deno runs several. Sent to this thread alone,
 * the signal waits while this thread blocks it, and that is what lets
 * {@linkcode SignalLatch} keep it out of the way while the loop works. */
export function enableSigio(fd: number): void {
  const owner = new Int32Array([F_OWNER_TID, sys.gettid()]); // f_owner_ex
  check(
    "fcntl",
    sys.fcntl_owner(fd, F_SETOWN_EX, new Uint8Array(owner.buffer)),
    errnoCell[0],
  );
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK | O_ASYNC);
}
// #endregion

// #region latch
/** A signal as something to await. Like the kernel's pending bit for a
 * standard signal, the latch remembers that at least one signal came since
 * the last {@linkcode SignalLatch.wait}, not how many. One waiter at a time.
 *
 * The signal is blocked on this thread except while `wait()` sleeps, as
 * sigsuspend(2) would have it in C. Delivering a signal is dear: the kernel
 * saves the thread's registers on its stack, runs a handler, and
 * rt_sigreturn(2) restores them. While the loop is working, a blocked signal
 * costs nothing but the kernel's pending bit, and a hundred that arrive
 * then are delivered as one when the loop next waits. */
export class SignalLatch {
  #pending = false;
  #waiter: (() => void) | null = null;
  readonly #listener = () => this.set();
  readonly #set: Uint8Array;

  /** Starts listening for `signal`, and blocks it on this thread. Deno runs
   * the listener on this thread's event loop; the OS-level handler behind
   * it only records the signal. */
  constructor(readonly signal: LatchSignal) {
    Deno.addSignalListener(signal, this.#listener);
    this.#set = sigset(signal);
    mask(SIG_BLOCK, this.#set);
  }

  /** Resolves at the next signal, or at once if one came since the last
   * wait. Until it resolves, the signal is unblocked: one that is pending
   * already is delivered at once. */
  wait(): Promise<void> {
    if (this.#waiter) throw new Error("SignalLatch: already waiting");
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    mask(SIG_UNBLOCK, this.#set);
    return new Promise((resolve) => {
      this.#waiter = () => {
        mask(SIG_BLOCK, this.#set);
        resolve();
      };
    });
  }

  /** Wakes the waiter as a signal would: for a timer, new input, or a stop
   * request. */
  set(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    if (waiter) waiter();
    else this.#pending = true;
  }

  /** Stops listening, and unblocks the signal. Close the descriptors that
   * raise the signal first. */
  close(): void {
    Deno.removeSignalListener(this.signal, this.#listener);
    mask(SIG_UNBLOCK, this.#set);
  }
}
// #endregion

/** The signals a latch can hold, with their numbers (signal(7), x86_64 and
 * aarch64). */
const SIGNAL_NUMBERS = { SIGIO: 29 } as const;
type LatchSignal = keyof typeof SIGNAL_NUMBERS;

// fcntl(2): F_SETOWN_EX with a struct f_owner_ex { int type; pid_t pid; }.
const F_SETOWN_EX = 15;
const F_OWNER_TID = 0;
// pthread_sigmask(3)
const SIG_BLOCK = 0;
const SIG_UNBLOCK = 1;

const sys = openLibc({
  gettid: { parameters: [], result: "i32" },
  // fcntl again, with a pointer for its third argument.
  fcntl_owner: {
    name: "fcntl",
    parameters: ["i32", "i32", "buffer"],
    result: "i32",
  },
  pthread_sigmask: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
});

/** A sigset_t holding `signal` alone: one bit per signal, from 1. */
function sigset(signal: LatchSignal): Uint8Array {
  const set = new Uint8Array(128);
  const bit = SIGNAL_NUMBERS[signal] - 1;
  set[bit >> 3] = 1 << (bit & 7);
  return set;
}

/** Blocks or unblocks the signals of `set` on the calling thread.
 * pthread_sigmask returns the error number itself rather than setting
 * errno. */
function mask(how: number, set: Uint8Array): void {
  const code = sys.pthread_sigmask(how, set, null);
  if (code) throw new SyscallError("pthread_sigmask", code);
}
