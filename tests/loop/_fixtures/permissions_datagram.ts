// Fixture of permissions_test.ts: datagram endpoints without --allow-net
// (or without --unstable-net). Takes a Unix socket path.
import * as asyncio from "../../../mod.ts";
import { report } from "./permissions_report.ts";

const path = Deno.args[0];
const endpoint = (options: asyncio.CreateDatagramEndpointOptions) =>
  asyncio.getRunningLoop().createDatagramEndpoint(() => new asyncio.DatagramProtocol(), options);

class Reporting extends asyncio.DatagramProtocol {
  readonly error: asyncio.Future<Error>;
  constructor() {
    super();
    this.error = asyncio.getRunningLoop().createFuture<Error>();
  }
  override errorReceived(exc: Error): void {
    if (!this.error.done()) this.error.setResult(exc);
  }
}

await report({
  udp: () => endpoint({ localAddr: ["127.0.0.1", 9999] }),
  unix: () => endpoint({ localAddr: path, family: asyncio.AF_UNIX }),
  // Bound where --allow-net=127.0.0.1:0 allows, then a send elsewhere.
  sendto: async () => {
    const [transport, protocol] = await asyncio.getRunningLoop().createDatagramEndpoint(
      () => new Reporting(),
      { localAddr: ["127.0.0.1", 0] },
    );
    try {
      transport.sendto(new Uint8Array(1), ["127.0.0.1", 9]);
      throw await protocol.error;
    } finally {
      transport.close();
    }
  },
});
