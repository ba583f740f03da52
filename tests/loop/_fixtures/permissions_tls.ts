// Fixture of permissions_test.ts: TLS certificate files without --allow-read.
import * as asyncio from "../../../mod.ts";
import { report } from "./permissions_report.ts";

await report({
  loadCertChainRelative: () =>
    new asyncio.SSLContext(asyncio.PROTOCOL_TLS_SERVER).loadCertChain("certs/server.pem"),
  loadVerifyLocations: () =>
    new asyncio.SSLContext(asyncio.PROTOCOL_TLS_CLIENT).loadVerifyLocations({
      cafile: "/etc/ssl/ca.pem",
    }),
});
