// Trying the addresses of a host: one after the other, or in a Happy
// Eyeballs race (RFC 8305) as asyncio's `staggered_race`.
import { ExceptionGroup } from "../loop/exceptions.ts";
import type { EventLoop } from "../loop/event_loop.ts";
import type { AddrInfo } from "./dns.ts";
import { awaitOp, closeQuietly } from "./_ops.ts";
import { allowFlag, neededResource, netAccess, notCapable } from "../loop/_permissions.ts";

// RFC 8305 section 4: alternate the address families, `firstCount`
// addresses of the first family first.
export function interleaveAddrinfos(infos: AddrInfo[], firstCount: number): AddrInfo[] {
  const byFamily = new Map<number, AddrInfo[]>();
  for (const info of infos) {
    const list = byFamily.get(info[0]);
    if (list === undefined) byFamily.set(info[0], [info]);
    else list.push(info);
  }
  const lists = [...byFamily.values()];
  const result: AddrInfo[] = [];
  if (firstCount > 1) result.push(...lists[0].splice(0, firstCount - 1));
  for (let i = 0; lists.some((l) => i < l.length); i++) {
    for (const list of lists) if (i < list.length) result.push(list[i]);
  }
  return result;
}

function connectTo(info: AddrInfo): Promise<Deno.Conn> {
  const [hostname, port] = info[4];
  return Deno.connect({ hostname, port, transport: "tcp" });
}

// Deno's NotCapable for one address, naming the flag for it.
function attemptError(error: unknown, info: AddrInfo): unknown {
  return netAccess(error, info[4][0], info[4][1]);
}

function combinedError(errors: unknown[], allErrors: boolean): unknown {
  if (allErrors) return new ExceptionGroup("createConnection failed", errors);
  if (errors.length === 1) return errors[0];
  const resources = errors.map((e) => neededResource(e, "net"));
  if (resources.every((r) => r !== undefined)) {
    // No address allowed: any one of them would do; the first is named.
    const others = resources.slice(1).map((r) => JSON.stringify(r)).join(" or ");
    return notCapable(
      "net",
      resources[0]!,
      [allowFlag("net", resources[0]!)],
      errors[0],
      ` (or to ${others})`,
    );
  }
  const messages = errors.map(String);
  if (messages.every((m) => m === messages[0])) return errors[0];
  const first = errors[0] as Error;
  const ErrorClass = (first?.constructor ?? Error) as ErrorConstructor;
  return new ErrorClass(`Multiple exceptions: ${messages.join(", ")}`);
}

export async function connectSequentially(loop: EventLoop, infos: AddrInfo[], allErrors: boolean) {
  const errors: unknown[] = [];
  for (const info of infos) {
    try {
      return await awaitOp(loop, connectTo(info), closeQuietly);
    } catch (error) {
      if (error instanceof Error && error.name === "CancelledError") throw error;
      errors.push(attemptError(error, info));
    }
  }
  throw combinedError(errors, allErrors);
}

// Happy Eyeballs: start the next attempt after `delay` seconds or as soon
// as the running one fails; the first connection wins and later ones are
// closed as they arrive.
export function connectStaggered(
  loop: EventLoop,
  infos: AddrInfo[],
  delay: number,
  allErrors: boolean,
): Promise<Deno.Conn> {
  const result = loop.createFuture<Deno.Conn>();
  const errors: unknown[] = [];
  let next = 0;
  let running = 0;
  let timer: { cancel(): void } | null = null;
  const startNext = () => {
    timer?.cancel();
    timer = null;
    if (result.done() || next >= infos.length) return;
    const info = infos[next++];
    running++;
    if (next < infos.length) timer = loop.callLater(delay, startNext);
    connectTo(info).then(
      (conn) => {
        running--;
        if (result.done() || loop.isClosed()) {
          closeQuietly(conn);
          return;
        }
        timer?.cancel();
        result.setResult(conn);
      },
      (error) => {
        running--;
        errors.push(attemptError(error, info));
        if (result.done() || loop.isClosed()) return;
        startNext();
        if (running === 0 && next >= infos.length) {
          result.setException(combinedError(errors, allErrors));
        }
      },
    );
  };
  startNext();
  result.addDoneCallback(() => timer?.cancel());
  return result;
}
