"""The CPython asyncio TLS echo server of the TLS benchmark:
loop.create_server(..., ssl=context) and a Protocol that writes back what it
receives.

    python3 bench/tls/py_server.py --cert=server.pem --key=server.key [--port=N]

Prints `LISTENING <port>` once it listens; SIGTERM or SIGINT ends it.
"""

import asyncio
import signal
import ssl
import sys


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


async def main(port, cert, key):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = await loop.create_server(EchoProtocol, "127.0.0.1", port, ssl=context)
    print(f"LISTENING {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await stop


def parse(args):
    port, cert, key = 0, "", ""
    for arg in args:
        if arg.startswith("--port=") and arg[7:].isdigit():
            port = int(arg[7:])
        elif arg.startswith("--cert="):
            cert = arg[7:]
        elif arg.startswith("--key="):
            key = arg[6:]
        else:
            sys.exit(f"usage: --cert=PEM --key=PEM [--port=N] (got {arg})")
    if not cert or not key:
        sys.exit("usage: --cert=PEM --key=PEM [--port=N]")
    return port, cert, key


if __name__ == "__main__":
    asyncio.run(main(*parse(sys.argv[1:])))
