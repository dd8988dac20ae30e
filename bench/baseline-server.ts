/**
 * The benchmark's baseline: the smallest useful HTTPS server, answering every request with a
 * fixed small JSON body, on the same kind of TLS material as the emulator. Run as a child
 * process; prints one line `{"url": ..., "caPem": ...}` once it listens; SIGTERM stops it.
 */
import https from 'node:https';
import type { AddressInfo } from 'node:net';

import { createTlsMaterial } from '../emulator/certs';

const BODY = JSON.stringify({
  id: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-bench/providers/Microsoft.Compute/virtualMachines/vm-1',
  name: 'vm-1',
  status: 'ok',
});

async function main(): Promise<void> {
  const tls = await createTlsMaterial();
  const server = https.createServer(
    { cert: tls.certPem, key: tls.keyPem, keepAliveTimeout: 30_000 },
    (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': String(Buffer.byteLength(BODY)),
        });
        res.end(BODY);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.stdout.write(
    `${JSON.stringify({ url: `https://127.0.0.1:${port}`, caPem: tls.caPem })}\n`,
  );
  const stop = (): void => {
    server.closeAllConnections();
    server.close();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

void main();
