// Node's UDP echo server for the UDP benchmark: node:dgram, each message
// sent back to its sender.
//
//   node bench/udp/node_server.mjs [--port=N]
//
// Prints `LISTENING <port>` once bound; SIGTERM or SIGINT ends it.
import dgram from "node:dgram";
import process from "node:process";

let port = 0;
for (const arg of process.argv.slice(2)) {
  const match = /^--port=(\d+)$/.exec(arg);
  if (match === null) {
    console.error(`usage: [--port=N] (got ${arg})`);
    process.exit(2);
  }
  port = Number(match[1]);
}

const socket = dgram.createSocket("udp4");
socket.on("message", (message, rinfo) => {
  socket.send(message, rinfo.port, rinfo.address);
});
socket.bind(port, "127.0.0.1", () => {
  console.log(`LISTENING ${socket.address().port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => socket.close(() => process.exit(0)));
}
