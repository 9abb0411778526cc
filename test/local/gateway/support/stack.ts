import type { MintRequest } from '../../../../local/identity-provider/token-minter';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../../../local/runner';

/** The local runner on free ports, quiet, without coturn (these tests never relay media). */
export function startAuthStack(options: Partial<LocalStackOptions>): Promise<LocalStack> {
  return startLocalStack({
    port: 0,
    emulatorPort: 0,
    channels: ['demo'],
    relay: false,
    env: { POWERTOOLS_LOG_LEVEL: 'SILENT' },
    ...options,
  });
}

/** POSTs the ice-servers request for `channel`, with `headers` (e.g. an Authorization header). */
export function postIceServers(
  stack: LocalStack,
  channel: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${stack.api.url}/v1/channels/${channel}/ice-servers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ role: 'VIEWER' }),
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** ClientIds that reached the emulator's GetIceServerConfig since its stats were last reset. */
export const clientIdsAtEmulator = (stack: LocalStack): string[] =>
  Object.keys(stack.emulator.stats().clientIds);

/** A token of the stack's local issuer (auth=jwt without jwtIssuer). */
export function mintToken(stack: LocalStack, request: MintRequest): Promise<string> {
  const mint = stack.auth.mintToken;
  if (!mint) throw new Error('the local issuer should mint tokens in jwt mode');
  return mint(request);
}
