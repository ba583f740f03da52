// Shared by the permissions_*.ts fixtures, which permissions_test.ts runs as
// `deno run --no-prompt` children with permissions missing: runs each case
// inside `asyncio.run` and prints what it threw, as JSON.
import { run } from "../../../mod.ts";

/** What one case threw (`name` "ok" when it did not throw). */
export interface Outcome {
  label: string;
  name: string;
  notCapable: boolean;
  message: string;
  /** The class name of `cause`, and whether Deno's own NotCapable message is in it. */
  cause: string | null;
  causeIsDenos: boolean;
}

function outcome(label: string, error: unknown): Outcome {
  const e = error as Error;
  const cause = e?.cause as Error | undefined;
  return {
    label,
    name: e?.name ?? String(error),
    notCapable: error instanceof Deno.errors.NotCapable,
    message: e?.message ?? String(error),
    cause: cause?.name ?? null,
    causeIsDenos: typeof cause?.message === "string" && /, run again with the --allow-\w+ flag$/
      .test(cause.message),
  };
}

/** Runs each case in turn and prints the outcomes as a JSON array. */
export async function report(cases: Record<string, () => unknown>): Promise<void> {
  const outcomes: Outcome[] = [];
  await run(async () => {
    for (const [label, fn] of Object.entries(cases)) {
      try {
        await fn();
        outcomes.push({ ...outcome(label, null), name: "ok", message: "" });
      } catch (error) {
        outcomes.push(outcome(label, error));
      }
    }
  });
  console.log(JSON.stringify(outcomes));
}
