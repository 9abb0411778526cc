import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import {
  classes,
  Message,
  methods,
  parseMessage,
  TcpTransport,
  TlsTransport,
  TurnProtocol,
  UdpTransport,
} from 'werift';

/**
 * The TURN transports werift's client speaks (`turn:…?transport=udp|tcp`, `turns:…?transport=tcp`
 * as TLS); DTLS (`turns:…?transport=udp`) it does not.
 */
export type AllocateTransport = 'udp' | 'tcp' | 'tls';

/** One TURN Allocate to try. */
export interface AllocateRequest {
  /** The relay's host name or IP address, from the URI. */
  readonly host: string;
  readonly port: number;
  readonly transport: AllocateTransport;
  /** The TURN REST credentials the API returned (never logged or printed). */
  readonly username: string;
  readonly password: string;
  /** Milliseconds for the whole attempt (name lookup, connection, both Allocate round trips). */
  readonly timeoutMs: number;
  /** PEM certificates to trust for `tls` besides the system's (a local relay's self-signed CA). */
  readonly ca?: string | Buffer;
}

/** What an Allocate did: relayed (with its round-trip time), or failed with a reason a person can act on. */
export type AllocateOutcome =
  | { readonly ok: true; readonly rttMs: number; readonly relayedAddress: string }
  | { readonly ok: false; readonly reason: string; readonly rttMs?: number };

/** The lifetime asked for; the allocation is released right after (Refresh with LIFETIME 0) anyway. */
const LIFETIME_SECONDS = 600;
const RELEASE_TIMEOUT_MS = 2000;

/** STUN error codes (RFC 8489, RFC 8656) and what they mean for the person running the check. */
const TURN_ERRORS: Record<number, string> = {
  401: 'the relay refused the credentials (401 Unauthorized): they are wrong, tampered with or expired',
  403: 'the relay forbids this allocation (403 Forbidden)',
  437: 'allocation mismatch (437): another allocation already uses this client address',
  441: 'the relay refused the credentials (441 Wrong Credentials)',
  442: 'the relay does not support this transport (442 Unsupported Transport Protocol)',
  486: "the relay's allocation quota is reached (486): KVS allows 50 allocations per channel",
  508: 'the relay has no capacity (508 Insufficient Capacity)',
};

class AllocateFailure extends Error {}

/** Rejects after `ms` with `reason`; `cancel` stops the timer. */
function deadline(ms: number, reason: string): { promise: Promise<never>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AllocateFailure(reason)), ms);
  });
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * The relay's address: the URI's IP address itself (`turn:[::1]:3478` is IPv6), or the host name's
 * IPv4 address, else its IPv6 one (a dual-stack KVS TURN host name has both; a network with IPv6
 * only may resolve only that).
 */
async function resolveHost(host: string): Promise<string> {
  if (isIP(host) !== 0) return host;
  const resolve = (family: 4 | 6) => lookup(host, { family }).then(({ address }) => address);
  try {
    return await resolve(4).catch(() => resolve(6));
  } catch (error) {
    throw new AllocateFailure(
      `cannot resolve ${host} (${(error as NodeJS.ErrnoException).code ?? 'DNS error'})`,
    );
  }
}

/** A connection failure, as the person running the check needs to hear it. */
function connectReason(error: unknown, request: AllocateRequest): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? (error as Error | undefined)?.message;
  const where = `${request.host}:${request.port} over ${request.transport}`;
  if (code === 'ECONNREFUSED') return `connection refused by ${where}: nothing listens there`;
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return `TLS to ${where} failed (${code}): the relay's certificate is not trusted here (pass its CA with --ca <pem file>)`;
  }
  return `cannot connect to ${where} (${code ?? 'unknown error'})`;
}

/**
 * A transport that hands every STUN error response to `onError` before werift sees it: werift drops
 * an error answer to an authenticated request whose integrity does not check out (a refused
 * password), so without this a refused credential would look like a timeout.
 */
function observed<T extends { onData: (data: Buffer, addr: readonly [string, number]) => void }>(
  transport: T,
  onError: (code: number, reason: string, transaction: string) => void,
): T {
  return new Proxy(transport, {
    set(target, property, value, receiver) {
      if (property !== 'onData') return Reflect.set(target, property, value, receiver);
      target.onData = (data, addr) => {
        const message = parseMessage(data);
        if (message?.messageClass === classes.ERROR) {
          const [code, reason] = (message.getAttributeValue('ERROR-CODE') ?? []) as [number?, string?];
          if (code !== undefined) onError(code, reason ?? '', message.transactionIdHex);
        }
        value(data, addr);
      };
      return true;
    },
  });
}

/**
 * Performs a real TURN Allocate (RFC 8656) with werift's TURN client: connects over `transport`,
 * answers the 401 challenge with the long-term credentials, and on success releases the allocation
 * at once (Refresh with LIFETIME 0), so a check never holds one of the channel's relays. Never
 * rejects: failures come back as a reason (refused credentials, a TURN error code, a connection or
 * TLS failure, or no answer within `timeoutMs`).
 */
export async function turnAllocate(request: AllocateRequest): Promise<AllocateOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const timeout = deadline(
    request.timeoutMs,
    `no answer within ${request.timeoutMs} ms from ${request.host}:${request.port} over ${request.transport}: ` +
      'the relay is unreachable from here (a firewall, or UDP blocked) or is not a TURN server',
  );
  let refused: (reason: string) => void = () => undefined;
  const refusal = new Promise<never>((_, reject) => {
    refused = (reason) => reject(new AllocateFailure(reason));
  });
  let challenge: string | undefined;
  const onError = (code: number, reason: string, transaction: string) => {
    // The first 401 is the challenge that carries the realm and nonce (again for each retransmission
    // of the first request, over UDP); a 401 to another request is a refusal.
    challenge ??= code === 401 ? transaction : undefined;
    if (code === 401 && transaction === challenge) return;
    if (code === 438) return; // stale nonce: werift asks again with the new one
    refused(TURN_ERRORS[code] ?? `the relay answered TURN error ${code} ${reason}`.trim());
  };
  let turn: TurnProtocol | undefined;
  let close: (() => Promise<void>) | undefined;
  try {
    const allocate = async () => {
      const address: [string, number] = [await resolveHost(request.host), request.port];
      let transport: UdpTransport | TcpTransport | TlsTransport;
      try {
        transport =
          request.transport === 'udp'
            ? await UdpTransport.init(isIP(address[0]) === 6 ? 'udp6' : 'udp4')
            : request.transport === 'tcp'
              ? await TcpTransport.init(address)
              : await TlsTransport.init(address, tlsOptions(request));
      } catch (error) {
        throw new AllocateFailure(connectReason(error, request));
      }
      close = () => transport.close();
      turn = new TurnProtocol(
        address,
        request.username,
        request.password,
        LIFETIME_SECONDS,
        observed(transport, onError),
      );
      await turn.connectionMade();
      const rttMs = elapsed();
      const [relayHost, relayPort] = turn.relayedAddress;
      return { ok: true as const, rttMs, relayedAddress: `${relayHost}:${relayPort}` };
    };
    const outcome = await Promise.race([allocate(), timeout.promise, refusal]);
    await release(turn);
    return outcome;
  } catch (error) {
    const reason =
      error instanceof AllocateFailure ? error.message : `TURN client error: ${(error as Error).message}`;
    return { ok: false, reason, rttMs: elapsed() };
  } finally {
    timeout.cancel();
    refusal.catch(() => undefined);
    await turn?.close().catch(() => undefined);
    await close?.().catch(() => undefined);
  }
}

function tlsOptions(request: AllocateRequest): ConnectionOptions {
  return {
    ...(request.ca !== undefined ? { ca: request.ca } : {}),
    // SNI and the certificate check use the URI's host name (an IP address is checked as such).
    ...(isIP(request.host) === 0 ? { servername: request.host } : {}),
  };
}

/** Deletes the allocation (Refresh, LIFETIME 0), best effort: it would expire by itself anyway. */
async function release(turn: TurnProtocol | undefined): Promise<void> {
  if (turn === undefined) return;
  const refresh = new Message(methods.REFRESH, classes.REQUEST).setAttribute('LIFETIME', 0);
  const timer = deadline(RELEASE_TIMEOUT_MS, 'release timed out');
  await Promise.race([turn.request(refresh, turn.server), timer.promise]).catch(() => undefined);
  timer.cancel();
}
