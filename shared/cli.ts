/**
 * The command line every chapter shares: `--host`, `--port`, `--help`, plus
 * the chapter's own flags; the `listening on HOST:PORT` ready line; and one
 * clear line on stderr, never a stack trace, when something goes wrong.
 *
 * @example
 * ```ts
 * import { parseCli } from "./cli.ts";
 * const { address, flags } = parseCli(["--port", "0", "--edge"], {
 *   usage: "deno task server",
 *   summary: "An echo server.",
 *   flags: { edge: { type: "boolean", description: "edge-triggered" } },
 * });
 * console.log(address.port, flags.edge); // 0 true
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { formatAddress, parseAddress, type SocketAddress } from "./sockaddr.ts";

/** A chapter-specific flag. Integers are validated against `min`/`max`. */
export type FlagSpec =
  | { type: "boolean"; description: string }
  | { type: "string"; description: string; default: string; choices?: string[] }
  | {
    type: "integer";
    description: string;
    default: number;
    min: number;
    max: number;
  };

/** What a program accepts. */
export interface CliSpec<F extends Record<string, FlagSpec>> {
  /** How to invoke it, e.g. `deno task server`. */
  usage: string;
  /** One sentence on what it does. */
  summary: string;
  flags?: F;
}

type FlagValues<F extends Record<string, FlagSpec>> = {
  [K in keyof F]: F[K] extends { type: "boolean" } ? boolean
    : F[K] extends { type: "integer" } ? number
    : string;
};

/** The default address of every chapter: loopback only, so a server started
 * while reading along is never reachable from the network. */
export const DEFAULT_HOST = "127.0.0.1";
export const DEFAULT_PORT = 7007;

/** The command line of an echo client that has nothing to add to `--host`
 * and `--port`: most chapters' `deno task client`. */
export const ECHO_CLIENT: CliSpec<never> = {
  usage: "deno task client",
  summary: "Send stdin to an echo server and print what comes back.",
};

/** Parses `args`. `--help` prints usage and exits 0; an unknown flag or a bad
 * value prints the problem and usage to stderr and exits 2. */
export function parseCli<F extends Record<string, FlagSpec> = never>(
  args: string[],
  spec: CliSpec<F>,
): { address: SocketAddress; flags: FlagValues<F> } {
  const extra = (spec.flags ?? {}) as Record<string, FlagSpec>;
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: "string", default: DEFAULT_HOST },
        port: { type: "string", default: String(DEFAULT_PORT) },
        help: { type: "boolean", short: "h" },
        ...Object.fromEntries(
          Object.entries(extra).map((
            [name, flag],
          ) => [name, {
            type: flag.type === "boolean" ? "boolean" : "string",
          }]),
        ),
      },
    });
    if (values.help) {
      console.log(usage(spec));
      Deno.exit(0);
    }
    const port = integer("port", values.port as string, 0, 65535);
    const address = parseAddress(values.host as string, port);
    const flags: Record<string, boolean | number | string> = {};
    for (const [name, flag] of Object.entries(extra)) {
      const raw =
        (values as Record<string, string | boolean | undefined>)[name];
      if (flag.type === "boolean") flags[name] = raw === true;
      else if (flag.type === "integer") {
        flags[name] = raw === undefined
          ? flag.default
          : integer(name, raw as string, flag.min, flag.max);
      } else {
        const value = (raw as string | undefined) ?? flag.default;
        if (flag.choices && !flag.choices.includes(value)) {
          throw new TypeError(
            `invalid --${name} "${value}": expected ${
              flag.choices.join(" or ")
            }`,
          );
        }
        flags[name] = value;
      }
    }
    return { address, flags: flags as FlagValues<F> };
  } catch (error) {
    console.error(`${errorMessage(error)}\n\n${usage(spec)}`);
    Deno.exit(2);
  }
}

/** Prints the ready line tests and readers wait for. */
export function announceListening(address: SocketAddress): void {
  console.log(`listening on ${formatAddress(address)}`);
}

/** Prints `error` as one line on stderr and exits with `code`: for failures
 * such as a port in use, where a stack trace would only hide the message. */
export function fatal(error: unknown, code = 1): never {
  console.error(`error: ${errorMessage(error)}`);
  Deno.exit(code);
}

/** Like {@linkcode fatal}, for a listener that could not be opened on
 * `address`. A port in use gets a line that says what to do: every chapter
 * defaults to 7007, so the usual cause is another chapter's server, still
 * running. Deno's `AddrInUse` and the shared layer's `SyscallError` both carry
 * the errno's name as `code`. */
export function cannotListen(error: unknown, address: SocketAddress): never {
  if ((error as { code?: unknown } | null)?.code === "EADDRINUSE") {
    fatal(
      `port ${address.port} is in use (another chapter's server?): ` +
        "stop it, or pass --port N",
    );
  }
  fatal(error);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function integer(name: string, raw: string, min: number, max: number) {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    throw new TypeError(
      `invalid --${name} "${raw}": expected a whole number ${min}-${max}`,
    );
  }
  return value;
}

function usage(spec: CliSpec<Record<string, FlagSpec>>): string {
  const lines = [
    `usage: ${spec.usage} [options]`,
    "",
    spec.summary,
    "",
    "options:",
    `  --host HOST   address to use (default ${DEFAULT_HOST})`,
    `  --port PORT   TCP port, 0 for any free one (default ${DEFAULT_PORT})`,
  ];
  for (const [name, flag] of Object.entries(spec.flags ?? {})) {
    const arg = flag.type === "boolean" ? "" : ` ${name.toUpperCase()}`;
    const fallback = flag.type === "boolean"
      ? ""
      : ` (default ${flag.default})`;
    // At least one space, however long the flag and its argument.
    lines.push(
      `${`  --${name}${arg}`.padEnd(15)} ${flag.description}${fallback}`,
    );
  }
  lines.push("  -h, --help    show this help");
  return lines.join("\n");
}
