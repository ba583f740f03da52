// Fixture of permissions_test.ts: listening without --allow-net.
import * as asyncio from "../../../mod.ts";
import { report } from "./permissions_report.ts";

const factory = () => new asyncio.Protocol();
await report({
  startServer: () => asyncio.startServer(() => {}, "127.0.0.1", 8888),
  createServerAllInterfaces: () => asyncio.getRunningLoop().createServer(factory, null, 8888),
  createServerPort0: () => asyncio.getRunningLoop().createServer(factory, "127.0.0.1", 0),
  socketBind: () => {
    const sock = new asyncio.Socket(asyncio.AF_INET, asyncio.SOCK_STREAM);
    try {
      sock.bind(["127.0.0.1", 8888]);
    } finally {
      sock.close();
    }
  },
});
