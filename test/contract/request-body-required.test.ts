import {
  ICE_SERVERS_ROUTE_PATH,
  SIGNALING_ROUTE_PATHS,
  STORAGE_SESSION_ROUTE_PATHS,
} from '@kvs-ice-broker/client/contract';
import { describe, expect, it } from 'vitest';
import type { Caller } from '../../lambda/http/identity';
import {
  parseSignalingRequest,
  parseStorageSessionRequest,
  parseVendRequest,
} from '../../lambda/http/request';
import { event } from '../lambda/support/handler';
import { document, type RequestBody, resolve } from './support/document';

const CALLER: Caller = {
  clientId: 'u-abc',
  grantedChannels: 'all',
  masterChannels: 'all',
  viewerPool: 'u-abc',
};

/** Each route, and the function's parsing of an event of it with no body. */
const ROUTES: [string, () => unknown][] = [
  [ICE_SERVERS_ROUTE_PATH, () => parseVendRequest(event('demo'), CALLER)],
  [
    SIGNALING_ROUTE_PATHS.VIEWER,
    () => parseSignalingRequest(event('demo', undefined, {}, 'viewer'), CALLER, 'VIEWER'),
  ],
  [
    SIGNALING_ROUTE_PATHS.MASTER,
    () => parseSignalingRequest(event('demo', undefined, {}, 'master'), CALLER, 'MASTER'),
  ],
  [
    STORAGE_SESSION_ROUTE_PATHS.VIEWER,
    () =>
      parseStorageSessionRequest(event('demo', undefined, {}, 'storage-session/viewer'), CALLER, 'VIEWER'),
  ],
  [
    STORAGE_SESSION_ROUTE_PATHS.MASTER,
    () =>
      parseStorageSessionRequest(event('demo', undefined, {}, 'storage-session/master'), CALLER, 'MASTER'),
  ],
];

describe('request bodies as docs/openapi.json documents them', () => {
  it.each(ROUTES)(
    'calls the body of POST %s required exactly when the function refuses a request without one',
    (path, parse) => {
      const documented = document.paths[path]?.post?.requestBody;
      const required = documented ? resolve<RequestBody>(documented).required === true : false;

      const refused = (() => {
        try {
          parse();
          return false;
        } catch {
          return true;
        }
      })();

      expect(required).toBe(refused);
    },
  );
});
