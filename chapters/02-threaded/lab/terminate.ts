/**
 * What `worker.terminate()` does to a Worker blocked in a synchronous FFI
 * `recv`: does the caller wait, and does the Worker's thread go away?
 *
 * Run from the repository root:
 *   deno run --allow-all chapters/02-threaded/lab/terminate.ts
 * (--allow-all: /proc/self/task counts the threads. terminate.txt beside this file is its output on the lab machine.)
 *
 * @module
 */
const libc = Deno.dlopen("libc.so.6", {
  socketpair: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  send: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
});
const threads = () => [...Deno.readDirSync("/proc/self/task")].length;

const pair = new Int32Array(2);
if (libc.symbols.socketpair(1, 1, 0, pair) !== 0) throw new Error("socketpair");

const code = `
const libc = Deno.dlopen("libc.so.6", {
  recv: { parameters: ["i32", "buffer", "usize", "i32"], result: "isize" },
});
self.onmessage = ({ data: fd }) => {
  self.postMessage("in recv");
  const n = libc.symbols.recv(fd, new Uint8Array(1), 1n, 0);
  // never seen by the main thread if terminate() worked: it is gone by then
  self.postMessage("recv returned " + n);
};`;
const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));

console.log(`Deno ${Deno.version.deno}, V8 ${Deno.version.v8}`);
console.log(`threads before the Worker: ${threads()}`);
const worker = new Worker(url, { type: "module" });
const said: string[] = [];
const inRecv = new Promise((resolve) => {
  worker.onmessage = ({ data }) => {
    said.push(data);
    resolve(data);
  };
});
worker.postMessage(pair[0]);
await inRecv;
await new Promise((resolve) => setTimeout(resolve, 200)); // well inside recv now
console.log(`threads with the Worker in recv: ${threads()}`);

const started = performance.now();
worker.terminate();
const took = performance.now() - started;
console.log(`terminate() returned after ${took.toFixed(3)} ms`);

await new Promise((resolve) => setTimeout(resolve, 1000));
console.log(`threads 1 s after terminate(): ${threads()}`);

// Now give recv a byte: the call returns, and the terminated Worker's thread
// can finally notice it has been terminated.
libc.symbols.send(pair[1], new Uint8Array([42]), 1n, 0);
await new Promise((resolve) => setTimeout(resolve, 1000));
console.log(`threads 1 s after recv got a byte: ${threads()}`);
console.log(`messages from the Worker: ${JSON.stringify(said)}`);
libc.close();
