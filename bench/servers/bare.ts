import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type BareConfig, childConfig, exitWith, paddedJson, type ReadyMessage } from './protocol';

/**
 * The physical limit of this machine for the throughput benchmark: a `node:http` server on
 * 127.0.0.1 that answers every request with a fixed JSON body of the broker's size and does
 * nothing else.
 */
const { bodyBytes } = childConfig<BareConfig>();
const body = Buffer.from(paddedJson(bodyBytes));
const headers = {
  'content-type': 'application/json',
  'cache-control': 'no-store',
  'content-length': body.length,
};

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, headers);
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  const ready: ReadyMessage = { type: 'ready', url: `http://127.0.0.1:${port}`, pid: process.pid };
  process.send?.(ready);
});
exitWith(
  () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
);
