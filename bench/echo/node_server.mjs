// The Node.js echo server of the echo benchmark: `net.createServer`, each
// socket writes back what it receives. With --sink it only counts what it
// receives and, at EOF, answers the count and closes.
//
//   node bench/echo/node_server.mjs [--port=N] [--sink]
//
// Prints `LISTENING <port>` once it listens; SIGTERM or SIGINT ends it.
import net from "node:net";
import process from "node:process";

let port = 0;
let sink = false;
for (const arg of process.argv.slice(2)) {
  if (arg === "--sink") sink = true;
  else if (/^--port=\d+$/.test(arg)) port = Number(arg.slice(7));
  else {
    console.error(`usage: [--port=N] [--sink] (got ${arg})`);
    process.exit(2);
  }
}

const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => {
  socket.on("error", () => socket.destroy());
  if (sink) {
    let count = 0;
    socket.on("data", (data) => count += data.length);
    socket.on("end", () => socket.end(`${count}\n`));
  } else {
    socket.on("data", (data) => socket.write(data));
    socket.on("end", () => socket.end());
  }
});
server.listen(port, "127.0.0.1", () => {
  console.log(`LISTENING ${server.address().port}`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
