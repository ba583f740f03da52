"""The CPython asyncio UDP echo server of the UDP benchmark:
loop.create_datagram_endpoint and a DatagramProtocol that sends every
datagram back to its sender. With --uvloop it runs on uvloop.

    python3 bench/udp/py_server.py [--port=N] [--uvloop]

Prints `LISTENING <port>` once bound; SIGTERM or SIGINT ends it.
"""

import asyncio
import signal
import sys


class EchoServerProtocol(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


async def main(port):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    transport, _ = await loop.create_datagram_endpoint(
        EchoServerProtocol, local_addr=("127.0.0.1", port)
    )
    print(f"LISTENING {transport.get_extra_info('sockname')[1]}", flush=True)
    try:
        await stop
    finally:
        transport.close()


def parse(args):
    port, uv = 0, False
    for arg in args:
        if arg == "--uvloop":
            uv = True
        elif arg.startswith("--port=") and arg[7:].isdigit():
            port = int(arg[7:])
        else:
            print(f"usage: [--port=N] [--uvloop] (got {arg})", file=sys.stderr)
            sys.exit(2)
    return port, uv


if __name__ == "__main__":
    port, uv = parse(sys.argv[1:])
    if uv:
        import uvloop

        uvloop.install()
    asyncio.run(main(port))
