// Fixture of permissions_test.ts: subprocesses without --allow-run.
import * as asyncio from "../../../mod.ts";
import { report } from "./permissions_report.ts";

await report({
  createSubprocessExec: () => asyncio.createSubprocessExec("true"),
  subprocessExec: () =>
    asyncio.getRunningLoop().subprocessExec(() => new asyncio.SubprocessProtocol(), "true"),
  createSubprocessShell: () => asyncio.createSubprocessShell("true"),
  stderrToStdout: () =>
    asyncio.createSubprocessExec("true", { stdout: asyncio.PIPE, stderr: asyncio.STDOUT }),
});
