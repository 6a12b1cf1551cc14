// The Node.js reference for the benchmark: the idiomatic `net` echo server,
// libuv's epoll loop under one JavaScript thread. `pipe` gives backpressure
// (it pauses reading while the socket's write buffer is full) and, with
// allowHalfOpen, echoes everything before answering the peer's FIN with ours.
//
// Same contract as every chapter: --host H --port P (0 = any free port),
// prints "listening on HOST:PORT", exits 0 on SIGINT/SIGTERM.
//
// Run: node node_echo.mjs --port 0
import net from "node:net";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "7007" },
  },
});

const sockets = new Set();
const server = net.createServer(
  { allowHalfOpen: true, noDelay: true },
  (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // A reset ends this connection only.
    socket.on("error", () => socket.destroy());
    socket.pipe(socket);
  },
);
server.on("error", (error) => {
  // EMFILE on accept: libuv already keeps the listener from spinning.
  if (error.code === "EMFILE" || error.code === "ENFILE") {
    console.error(`accept: ${error.code}`);
    return;
  }
  console.error(`error: ${error.message}`);
  process.exit(1);
});
server.listen(
  { host: values.host, port: Number(values.port), backlog: 4096 },
  () => {
    const { address, port } = server.address();
    console.log(`listening on ${address}:${port}`);
  },
);

function stop() {
  server.close();
  for (const socket of sockets) socket.destroy();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
