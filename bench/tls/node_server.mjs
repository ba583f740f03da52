// The Node.js TLS echo server of the TLS benchmark: `tls.createServer`,
// each socket writes back what it receives.
//
//   node bench/tls/node_server.mjs --cert=server.pem --key=server.key [--port=N]
//
// Prints `LISTENING <port>` once it listens; SIGTERM or SIGINT ends it.
import fs from "node:fs";
import process from "node:process";
import tls from "node:tls";

let port = 0;
let cert = "";
let key = "";
for (const arg of process.argv.slice(2)) {
  if (/^--port=\d+$/.test(arg)) port = Number(arg.slice(7));
  else if (arg.startsWith("--cert=")) cert = arg.slice(7);
  else if (arg.startsWith("--key=")) key = arg.slice(6);
  else {
    console.error(`usage: --cert=PEM --key=PEM [--port=N] (got ${arg})`);
    process.exit(2);
  }
}

const server = tls.createServer(
  { cert: fs.readFileSync(cert), key: fs.readFileSync(key) },
  (socket) => {
    socket.setNoDelay(true);
    socket.on("error", () => socket.destroy());
    socket.on("data", (data) => socket.write(data));
    socket.on("end", () => socket.end());
  },
);
server.listen(port, "127.0.0.1", () => {
  console.log(`LISTENING ${server.address().port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
