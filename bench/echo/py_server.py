"""The CPython asyncio echo server of the echo benchmark: loop.create_server
and a Protocol that writes back what it receives. With --sink it only counts
what it receives and, at EOF, answers the count and closes. With --uvloop it
runs on uvloop.

    python3 bench/echo/py_server.py [--port=N] [--sink] [--uvloop]

Prints `LISTENING <port>` once it listens; SIGTERM or SIGINT ends it.
"""

import asyncio
import signal
import sys


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)


class SinkProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport = transport
        self.count = 0

    def data_received(self, data):
        self.count += len(data)

    def eof_received(self):
        self.transport.write(b"%d\n" % self.count)
        return False  # close once the answer is written


async def main(port, sink):
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    server = await loop.create_server(
        SinkProtocol if sink else EchoProtocol, "127.0.0.1", port
    )
    print(f"LISTENING {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await stop


def parse(args):
    port, sink, uv = 0, False, False
    for arg in args:
        if arg == "--sink":
            sink = True
        elif arg == "--uvloop":
            uv = True
        elif arg.startswith("--port=") and arg[7:].isdigit():
            port = int(arg[7:])
        else:
            print(f"usage: [--port=N] [--sink] [--uvloop] (got {arg})", file=sys.stderr)
            sys.exit(2)
    return port, sink, uv


if __name__ == "__main__":
    port, sink, uv = parse(sys.argv[1:])
    if uv:
        import uvloop

        if sys.version_info >= (3, 12):
            asyncio.run(main(port, sink), loop_factory=uvloop.new_event_loop)
        else:
            uvloop.install()
            asyncio.run(main(port, sink))
    else:
        asyncio.run(main(port, sink))
