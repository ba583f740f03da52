"""The CPython asyncio streams echo server of the streams benchmark:
asyncio.start_server and a handler that reads and writes back until EOF.

    python3 bench/streams/py_streams_server.py [--uvloop]

Prints `LISTENING <port>` once it listens; SIGTERM ends it.
"""

import asyncio
import signal
import sys


async def handle(reader, writer):
    while True:
        data = await reader.read(65536)
        if not data:
            break
        writer.write(data)
        await writer.drain()
    writer.close()


async def main():
    loop = asyncio.get_running_loop()
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    print("LISTENING %d" % server.sockets[0].getsockname()[1], flush=True)
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)
    await stop
    server.close()


if "--uvloop" in sys.argv:
    import uvloop

    uvloop.install()
asyncio.run(main())
