// Fixture of permissions_test.ts: Unix sockets without --allow-read and
// --allow-write. Takes the socket path.
import * as asyncio from "../../../mod.ts";
import { report } from "./permissions_report.ts";

const path = Deno.args[0];
await report({
  startUnixServer: () => asyncio.startUnixServer(() => {}, path),
  openUnixConnection: () => asyncio.openUnixConnection(path),
  createUnixConnection: () =>
    asyncio.getRunningLoop().createUnixConnection(() => new asyncio.Protocol(), path),
});
