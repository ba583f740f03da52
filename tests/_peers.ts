// Real peers for the tests: CPython (the reference asyncio) run as a child
// process. A peer prints one JSON line when it is ready (its port, say).
import { TextLineStream } from "./_lines.ts";

export interface Peer {
  /** The first line the peer printed, parsed as JSON. */
  ready: Record<string, unknown>;
  /** Resolves with the peer's exit code and what it printed after `ready`. */
  finished: Promise<{ code: number; stdout: string; stderr: string }>;
  kill(): void;
}

/** Starts `python3 -c script args...` and waits for its first line of output. */
export async function startPython(script: string, ...args: string[]): Promise<Peer> {
  const child = new Deno.Command("python3", {
    args: ["-c", script, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(
    new TextLineStream(),
  );
  const reader = lines.getReader();
  const stderrText = new Response(child.stderr).text();
  const first = await reader.read();
  if (first.done) {
    const status = await child.status;
    throw new Error(`python3 exited (${status.code}) before it was ready:\n${await stderrText}`);
  }
  const finished = (async () => {
    let stdout = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += value + "\n";
    }
    const status = await child.status;
    return { code: status.code, stdout, stderr: await stderrText };
  })();
  return {
    ready: JSON.parse(first.value),
    finished,
    kill() {
      try {
        child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
    },
  };
}

/** SHA-256 of bytes, as hex. */
export async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** `n` random bytes (crypto.getRandomValues fills at most 64 KiB at a time). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, i + 65536));
  return out;
}
