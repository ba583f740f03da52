/**
 * The library's logger, Python's `logging.getLogger("asyncio")`: the
 * default exception handler writes to `logger.error`, debug mode's slow
 * callback reports to `logger.warning`. Replace its methods to redirect
 * them.
 *
 * @example
 * ```ts
 * import { logger } from "@asyncio/asyncio";
 * const lines: string[] = [];
 * const saved = logger.error;
 * logger.error = (message) => lines.push(message);
 * logger.error("captured");
 * logger.error = saved;
 * console.log(lines); // ["captured"]
 * ```
 *
 * @module
 */

/** Where the library's messages go; each method may be replaced. */
export interface Logger {
  /** Errors: unhandled exceptions reported by the default handler. */
  error(message: string): void;
  /** Warnings: slow callbacks in debug mode, writes after close. */
  warning(message: string): void;
  /** Debug details, printed only in debug mode. */
  debug(message: string): void;
}

/**
 * The library's logger; see the module documentation.
 *
 * @example
 * ```ts
 * import { logger } from "@asyncio/asyncio";
 * const messages: string[] = [];
 * const saved = logger.warning;
 * logger.warning = (message) => messages.push(message);
 * logger.warning("a slow callback");
 * logger.warning = saved;
 * console.log(messages); // ["a slow callback"]
 * ```
 */
export const logger: Logger = {
  error(message: string): void {
    console.error(message);
  },
  warning(message: string): void {
    console.warn(message);
  },
  debug(message: string): void {
    console.debug(message);
  },
};
