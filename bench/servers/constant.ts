import { startApiServer } from '../../local/gateway/server';
import { type ConstantConfig, childConfig, exitWith, paddedJson, type ReadyMessage } from './protocol';

/**
 * The local API server (API Gateway v2 event and Lambda context built per request, as for the
 * broker) in front of a handler that returns a constant body of the broker's size: what the
 * local stand-in for API Gateway costs on its own, without the function's work.
 */
const { bodyBytes } = childConfig<ConstantConfig>();
const result = {
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: paddedJson(bodyBytes),
};

startApiServer({ port: 0, handler: async () => result }).then((api) => {
  exitWith(() => api.close());
  const ready: ReadyMessage = { type: 'ready', url: api.url, pid: process.pid };
  process.send?.(ready);
});
