/**
 * `deno task start`: builds the site, then serves `site/dist/` on
 * http://127.0.0.1:8000 (`--port P` for another port, 0 for any free one).
 * Loopback only: the site is for the person at this machine. Ctrl-C (or
 * SIGTERM) stops serving and exits 0, like a chapter's server.
 *
 * @module
 */
import { extname, join, normalize } from "node:path";
import { parseArgs } from "node:util";
import { fatal } from "@echo-lab/shared/cli";
import { buildSite, DIST, logBuild } from "./build.ts";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

/** Serves the files under `dir` on 127.0.0.1:`port`; `/` is index.html and
 * a folder is its index.html. */
export function serveSite(
  dir: string,
  port: number,
  onListen: (url: string) => void,
): Deno.HttpServer {
  return Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: ({ port }) => onListen(`http://127.0.0.1:${port}/`),
  }, async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("method not allowed", { status: 405 });
    }
    const path = decodeURIComponent(new URL(request.url).pathname);
    let file = join(dir, normalize(`/${path}`));
    try {
      if ((await Deno.stat(file)).isDirectory) file = join(file, "index.html");
      const body = await Deno.readFile(file);
      const type = TYPES[extname(file)] ?? "application/octet-stream";
      return new Response(request.method === "HEAD" ? null : body, {
        headers: { "content-type": type, "cache-control": "no-cache" },
      });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
}

if (import.meta.main) {
  let port = 8000;
  try {
    const { values } = parseArgs({
      args: Deno.args.filter((arg) => arg !== "--"),
      options: { port: { type: "string" } },
    });
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!/^\d+$/.test(values.port) || port > 65535) {
        throw new TypeError(`invalid --port "${values.port}"`);
      }
    }
    const started = performance.now();
    logBuild(await buildSite(), started);
    // Listening for Ctrl-C before the address is printed: a reader (or a
    // test) may press it as soon as it appears.
    const stop = Promise.withResolvers<void>();
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => stop.resolve());
    }
    const server = serveSite(
      DIST,
      port,
      (url) => console.log(`serving the site on ${url}`),
    );
    await stop.promise;
    await server.shutdown();
    Deno.exit(0);
  } catch (error) {
    fatal(
      error instanceof Deno.errors.AddrInUse
        ? `port ${port} is in use: stop what is serving there, or pass --port P`
        : error,
    );
  }
}
