// Fixture of permissions_test.ts: connecting without --allow-net.
import * as asyncio from "../../../mod.ts";
import { report } from "./permissions_report.ts";

await report({
  openConnection: () => asyncio.openConnection("127.0.0.1", 8888),
  createConnectionIPv6: () =>
    asyncio.getRunningLoop().createConnection(() => new asyncio.Protocol(), "::1", 8888),
  openConnectionByName: () => asyncio.openConnection("localhost", 8888),
  sockConnect: async () => {
    const sock = new asyncio.Socket(asyncio.AF_INET, asyncio.SOCK_STREAM);
    try {
      await asyncio.getRunningLoop().sockConnect(sock, ["127.0.0.1", 8888]);
    } finally {
      sock.close();
    }
  },
});
