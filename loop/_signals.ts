// The loop's signal handlers, on Deno.addSignalListener. Measured on Deno
// 2.9.6: a listener that throws stops that signal's dispatch for the whole
// process, so these listeners never throw.
import { RuntimeError } from "./exceptions.ts";
import type { Callback } from "./handles.ts";

// Python's signal.valid_signals() on Linux, by Deno's names.
const SIGNAL_NUMBERS: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGIOT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
  SIGSTKFLT: 16,
  SIGCHLD: 17,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGURG: 23,
  SIGXCPU: 24,
  SIGXFSZ: 25,
  SIGVTALRM: 26,
  SIGPROF: 27,
  SIGWINCH: 28,
  SIGIO: 29,
  SIGPOLL: 29,
  SIGPWR: 30,
  SIGSYS: 31,
};

/** The number of a signal name (`"SIGKILL"` → 9); `RangeError` for an unknown name. */
export function signalNumber(sig: string): number {
  const number = typeof sig === "string" ? SIGNAL_NUMBERS[sig] : undefined;
  if (number === undefined) throw new RangeError(`invalid signal: ${String(sig)}`);
  return number;
}

/** Checks a signal name for a handler: `RangeError` unknown, `RuntimeError` uncatchable. */
export function checkCatchable(sig: string): Deno.Signal {
  const number = signalNumber(sig);
  if (number === 9 || number === 19) throw new RuntimeError(`sig ${sig} cannot be caught`);
  return sig as Deno.Signal;
}

// Deno's signal listeners do not keep the process alive, but a loop that
// runs with a signal handler waits for that signal, as a Python program
// does: while the loop runs and has handlers, a timer holds the process.
const KEEP_ALIVE_MS = 2 ** 31 - 1;

export class SignalHandlers {
  #listeners = new Map<Deno.Signal, () => void>();
  #running = false;
  #keepAlive: ReturnType<typeof setInterval> | null = null;

  /** The loop started or stopped running. */
  setRunning(running: boolean): void {
    this.#running = running;
    this.#updateKeepAlive();
  }

  #updateKeepAlive(): void {
    const wanted = this.#running && this.#listeners.size > 0;
    if (wanted && this.#keepAlive === null) {
      this.#keepAlive = setInterval(() => {}, KEEP_ALIVE_MS);
    } else if (!wanted && this.#keepAlive !== null) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = null;
    }
  }
  #schedule: (callback: Callback, args: unknown[]) => void;

  constructor(schedule: (callback: Callback, args: unknown[]) => void) {
    this.#schedule = schedule;
  }

  has(sig: Deno.Signal): boolean {
    return this.#listeners.has(sig);
  }

  add(sig: string, callback: Callback, args: unknown[]): void {
    const name = checkCatchable(sig);
    if (typeof callback !== "function") {
      throw new TypeError("addSignalHandler(): the callback must be a function");
    }
    const listener = () => {
      try {
        this.#schedule(callback, args);
      } catch {
        // The loop is closed: nothing to run the handler on.
      }
    };
    try {
      Deno.addSignalListener(name, listener);
    } catch (error) {
      if (error instanceof TypeError) {
        throw new RangeError(`signal ${name} is not supported here: ${error.message}`);
      }
      throw error;
    }
    this.remove(name);
    this.#listeners.set(name, listener);
    this.#updateKeepAlive();
  }

  remove(sig: string): boolean {
    const name = sig as Deno.Signal;
    signalNumber(sig);
    const listener = this.#listeners.get(name);
    if (listener === undefined) return false;
    this.#listeners.delete(name);
    Deno.removeSignalListener(name, listener);
    this.#updateKeepAlive();
    return true;
  }

  clear(): void {
    for (const sig of [...this.#listeners.keys()]) this.remove(sig);
  }
}
