/**
 * What the FFI chapters need from the machine, and the one line they print
 * when it is missing.
 *
 * Chapters 01–06, 08 and 09 call Linux's own system calls through
 * `libc.so.6`. On macOS or Windows `dlopen` fails with a message that tells
 * a learner nothing they can act on; {@linkcode requireLinux} says instead
 * what is needed and where to go: chapter 07 uses only Deno's own API and
 * runs everywhere, and a Linux VM or container runs the rest.
 *
 * @module
 */

/** The operating system this process runs on: `Deno.build.os`, held in an
 * object (which the platform test sets before loading a chapter) because
 * `Deno.build` itself is frozen. */
export const host: { os: string } = { os: Deno.build.os };

/** Returns on Linux; anywhere else, prints the one line and exits 1. */
export function requireLinux(): void {
  if (host.os !== "linux") exitUnsupported(`Linux (this is ${host.os})`);
}

/** Prints on stderr that this chapter needs `requirement`, and where to go
 * instead, as one line; exits 1. Away from Linux, that is the async chapter
 * (Deno's own sockets, no FFI) or a Linux VM; on Linux (a kernel too old, a call forbidden, where
 * `requirement` says why), the doctor, which checks every chapter's needs. */
export function exitUnsupported(requirement: string): never {
  console.error(
    `this chapter needs ${requirement}: ` +
      (host.os === "linux"
        ? "deno task doctor checks what each chapter needs on this machine"
        : "the chapter on Deno's own async I/O runs everywhere; run the others in a Linux VM or container"),
  );
  Deno.exit(1);
}
