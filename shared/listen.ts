/**
 * How every FFI server starts: open the listening socket, or say in one line
 * why not (port in use, an address this machine does not have) and exit 1.
 *
 * @example
 * ```ts
 * import { listenOrExit } from "./listen.ts";
 * import { SOCK_CLOEXEC, SOCK_NONBLOCK } from "./constants.ts";
 * const listener = listenOrExit(
 *   { family: "ipv4", host: "127.0.0.1", port: 0 },
 *   { flags: SOCK_NONBLOCK | SOCK_CLOEXEC, raiseFdLimit: true },
 * );
 * console.log(listener.address.port); // the port the kernel picked
 * ```
 *
 * @module
 */
import { cannotListen } from "./cli.ts";
import { raiseNoFileLimit } from "./rlimit.ts";
import type { SocketAddress } from "./sockaddr.ts";
import { type Listener, openListener } from "./socket.ts";

/** Options for {@linkcode listenOrExit}. */
export interface ListenOptions {
  /** socket(2) type flags, e.g. `SOCK_NONBLOCK | SOCK_CLOEXEC` (default
   * `SOCK_CLOEXEC`). */
  flags?: number;
  /** Raise the soft limit on open descriptors to the hard limit first: a
   * server that holds one descriptor per client would stop at the usual
   * 1,024. */
  raiseFdLimit?: boolean;
  /** Set SO_REUSEPORT before bind (see `openListener`). */
  reusePort?: boolean;
}

/** `openListener(address)`, or `cannotListen(error)`: one line on stderr,
 * exit 1. */
export function listenOrExit(
  address: SocketAddress,
  { flags, raiseFdLimit = false, reusePort }: ListenOptions = {},
): Listener {
  try {
    if (raiseFdLimit) raiseNoFileLimit();
    return openListener(address, { flags, reusePort });
  } catch (error) {
    cannotListen(error, address);
  }
}
