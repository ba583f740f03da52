// What the stream and datagram transports share: the write buffer's water
// marks with the protocol's pauseWriting()/resumeWriting(), and the report
// of a fatal error (asyncio's `_fatal_error`).
import type { EventLoop } from "../loop/event_loop.ts";
import { logger } from "../loop/log.ts";
import type { BaseProtocol } from "../protocols/protocols.ts";
import { isOSError } from "./_errors.ts";

const DEFAULT_HIGH_WATER = 64 * 1024;

/** Checks water marks as asyncio does: `high >= low >= 0`. */
export function resolveWaterMarks(high?: number, low?: number): [number, number] {
  for (const [name, value] of [["high", high], ["low", low]] as const) {
    if (value !== undefined && (typeof value !== "number" || Number.isNaN(value))) {
      throw new TypeError(`${name} must be a number of bytes`);
    }
  }
  const h = high ?? (low === undefined ? DEFAULT_HIGH_WATER : 4 * low);
  const l = low ?? Math.floor(h / 4);
  if (!(h >= l && l >= 0)) throw new RangeError(`high (${h}) must be >= low (${l}) must be >= 0`);
  return [h, l];
}

/**
 * The water marks of a transport's write buffer: `pauseWriting()` when the
 * buffer goes above the high mark, `resumeWriting()` when it drains to the
 * low mark or below; a protocol that throws there is reported, not fatal.
 */
export class WriteFlowControl {
  high = DEFAULT_HIGH_WATER;
  low = DEFAULT_HIGH_WATER / 4;
  #paused = false;
  #loop: EventLoop;
  #transport: unknown;

  constructor(loop: EventLoop, transport: unknown) {
    this.#loop = loop;
    this.#transport = transport;
  }

  /** `[low, high]`, as `getWriteBufferLimits()`. */
  limits(): [number, number] {
    return [this.low, this.high];
  }

  setLimits(high?: number, low?: number): void {
    [this.high, this.low] = resolveWaterMarks(high, low);
  }

  maybePause(size: number, protocol: BaseProtocol): void {
    if (this.#paused || size <= this.high) return;
    this.#paused = true;
    this.#call(protocol, "pauseWriting");
  }

  maybeResume(size: number, protocol: BaseProtocol): void {
    if (!this.#paused || size > this.low) return;
    this.#paused = false;
    this.#call(protocol, "resumeWriting");
  }

  #call(protocol: BaseProtocol, method: "pauseWriting" | "resumeWriting"): void {
    try {
      protocol[method]();
    } catch (exception) {
      this.#loop.callExceptionHandler({
        message: `protocol.${method}() failed`,
        exception,
        transport: this.#transport,
        protocol,
      });
    }
  }
}

/**
 * Reports a fatal error of a transport as asyncio does: an operating-system
 * error only in debug mode, anything else (a protocol's bug) through the
 * exception handler. Returns the error to close the transport with.
 */
export function reportFatalError(
  loop: EventLoop,
  transport: unknown,
  protocol: BaseProtocol,
  error: unknown,
  message: string,
): Error {
  if (isOSError(error)) {
    if (loop.getDebug()) logger.debug(`${transport}: ${message}: ${error}`);
  } else {
    loop.callExceptionHandler({ message, exception: error, transport, protocol });
  }
  return error instanceof Error ? error : new Error(String(error));
}
