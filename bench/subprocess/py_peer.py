"""The CPython side of the subprocess benchmark (asyncio.subprocess):

    python3 bench/subprocess/py_peer.py spawn 200 3
    python3 bench/subprocess/py_peer.py pipe 1073741824 3

Prints one JSON result, shaped as bench/_harness.ts's WorkloadResult.
"""
import asyncio
import gc
import json
import statistics
import sys
import time


def payload(size):
    pattern = bytes(range(256))
    return (pattern * (size // 256 + 1))[:size]


async def spawn(n):
    start = time.perf_counter()
    for _ in range(n):
        proc = await asyncio.create_subprocess_exec("true")
        await proc.wait()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "per_second": n / seconds}


async def pipe(size, data):
    start = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        "cat", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
    stdout, _ = await proc.communicate(data)
    seconds = time.perf_counter() - start
    if len(stdout) != size:
        raise RuntimeError(f"cat gave back {len(stdout)} of {size}")
    return {"seconds": seconds, "mib_per_second": size / 2**20 / seconds}


def main():
    name, size = sys.argv[1], int(sys.argv[2])
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    if name == "spawn":
        once = lambda: asyncio.run(spawn(size))
    elif name == "pipe":
        data = payload(size)
        once = lambda: asyncio.run(pipe(size, data))
    else:
        sys.exit("usage: py_peer.py spawn|pipe SIZE [REPEATS]")
    once()
    runs = []
    for _ in range(repeats):
        gc.collect()
        runs.append(once())
    seconds = [r["seconds"] for r in runs]
    print(json.dumps({
        "name": name,
        "size": size,
        "runtime": f"CPython {sys.version.split()[0]} asyncio",
        "seconds": min(seconds),
        "median": statistics.median(seconds),
        "runs": seconds,
        "metrics": {k: min(r[k] for r in runs) for k in runs[0]},
    }))


if __name__ == "__main__":
    main()
