// Fixture of permissions_test.ts: the resolver without --allow-net.
import * as asyncio from "../../../mod.ts";
import { report } from "./permissions_report.ts";

await report({
  getaddrinfo: () => asyncio.getRunningLoop().getaddrinfo("localhost", 80),
  getnameinfo: () => asyncio.getRunningLoop().getnameinfo(["127.0.0.1", 22]),
});
