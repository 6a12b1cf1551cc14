// Listens on the address given (host, port) as the chapters' servers do,
// prints the bound port and the soft descriptor limit, and exits.
import { listenOrExit } from "../listen.ts";
import { getNoFileLimit } from "../rlimit.ts";
import { close } from "../socket.ts";

const [host, port] = Deno.args;
const listener = listenOrExit(
  { family: "ipv4", host, port: Number(port) },
  { raiseFdLimit: true },
);
console.log(listener.address.port, getNoFileLimit().soft);
close(listener.fd);
