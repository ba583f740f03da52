// Operating-system errors are Deno's own classes; this tells them apart
// from a bug in a protocol, as asyncio tells OSError from other exceptions.

const osErrorClasses: ReadonlySet<unknown> = new Set(Object.values(Deno.errors));

/** Whether `error` is one of Deno's operating-system errors (`Deno.errors.*`). */
export function isOSError(error: unknown): boolean {
  return error !== null && typeof error === "object" &&
    osErrorClasses.has((error as object).constructor);
}

/** Errors that mean the peer went away; the transport closes without a report. */
export function isConnectionLostError(error: unknown): boolean {
  return error instanceof Deno.errors.ConnectionReset ||
    error instanceof Deno.errors.ConnectionAborted ||
    error instanceof Deno.errors.BrokenPipe ||
    error instanceof Deno.errors.NotConnected;
}
