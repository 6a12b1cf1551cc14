/**
 * Signal-driven I/O: `fcntl(F_SETOWN)` and `O_ASYNC` ask the kernel to send
 * this process SIGIO whenever something happens on a descriptor, and
 * {@linkcode SignalLatch} turns that signal into a promise a loop can await.
 *
 * The signal says "something happened on one of your descriptors", nothing
 * more: not which descriptor, not what. For a TCP socket the kernel raises it
 * when data or a FIN arrives, when a connection is queued on a listener, when
 * a connect completes, on errors and resets, and when output space frees up
 * after a send hit EAGAIN. SIGIO is a standard signal, so several raised
 * before the handler runs arrive as one.
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
import {
  F_GETFL,
  F_SETFL,
  F_SETOWN,
  O_ASYNC,
  O_NONBLOCK,
} from "@echo-lab/shared/constants";

// #region enable
/** Makes `fd` non-blocking and signal-driven: the kernel will send SIGIO to
 * this process (F_SETOWN with our pid) whenever the descriptor's state
 * changes. The owner is set first, so the first signal has somewhere to go.
 * Install a SIGIO listener before calling this: SIGIO's default action ends
 * the process. Accepted sockets do not inherit either setting from their
 * listener (accept(2), "Linux notes"): call this for each one. */
export function enableSigio(fd: number): void {
  fcntl(fd, F_SETOWN, Deno.pid); // getpid(2)
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK | O_ASYNC);
}
// #endregion

// #region latch
/** A signal as something to await. Like the kernel's pending bit for a
 * standard signal, the latch remembers that at least one signal came since
 * the last {@linkcode SignalLatch.wait}, not how many. One waiter at a time. */
export class SignalLatch {
  #pending = false;
  #waiter: (() => void) | null = null;
  readonly #listener = () => this.set();

  /** Starts listening for `signal`. Deno runs the listener on this thread's
   * event loop; the OS-level handler behind it only records the signal. */
  constructor(readonly signal: Deno.Signal) {
    Deno.addSignalListener(signal, this.#listener);
  }

  /** Resolves at the next signal, or at once if one came since the last
   * wait. */
  wait(): Promise<void> {
    if (this.#waiter) throw new Error("SignalLatch: already waiting");
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiter = resolve);
  }

  /** Wakes the waiter as a signal would: for a timer, new input, or a stop
   * request. */
  set(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    if (waiter) waiter();
    else this.#pending = true;
  }

  /** Stops listening. Close the descriptors that raise the signal first. */
  close(): void {
    Deno.removeSignalListener(this.signal, this.#listener);
  }
}
// #endregion
