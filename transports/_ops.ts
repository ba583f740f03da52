// Awaiting Deno's operations from a task: the operation's promise cannot be
// interrupted, so it is awaited through a Future that cancellation can end;
// what the operation gives after that is handed to `discard`.
import type { EventLoop } from "../loop/event_loop.ts";
import type { Future } from "../loop/futures.ts";

export function awaitOp<T>(
  loop: EventLoop,
  operation: Promise<T>,
  discard: (value: T) => void,
): Future<T> {
  const fut = loop.createFuture<T>();
  operation.then(
    (value) => {
      if (fut.done() || loop.isClosed()) discard(value);
      else fut.setResult(value);
    },
    (error) => {
      if (!fut.done() && !loop.isClosed()) fut.setException(error);
    },
  );
  return fut;
}

/** Closes a Deno resource, ignoring that it may be closed already. */
export function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // BadResource: already closed.
  }
}

/**
 * Waits until a new transport's `connectionMade` ran (its `waiter` is set
 * then), and gives `[transport, protocol]`; a cancelled wait closes the
 * transport, as asyncio's connection methods do.
 */
export async function connectionMade<T extends { close(): void }, P>(
  waiter: Future<void>,
  transport: T,
  protocol: P,
): Promise<[T, P]> {
  try {
    await waiter;
  } catch (error) {
    transport.close();
    throw error;
  }
  return [transport, protocol];
}
