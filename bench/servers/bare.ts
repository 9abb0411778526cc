import { createServer } from 'node:http';
import { closeServer, listen } from '../../local/http-server';
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
listen(server, 0).then((port) => {
  exitWith(() => closeServer(server));
  const ready: ReadyMessage = { type: 'ready', url: `http://127.0.0.1:${port}`, pid: process.pid };
  process.send?.(ready);
});
