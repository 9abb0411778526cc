/**
 * The /demo page's script (bundled by local/demo/server.ts with the client library): two
 * RTCPeerConnections in one page, relay only, with ICE servers from `kvs-ice-broker/client`.
 * `document.body.dataset` tells people and tests the outcome: `state` (idle, connecting,
 * connected, failed), `relayProtocol` (of the selected local candidate, from getStats()),
 * `timeToOpenMs`, `refreshes` and `echoed`.
 */

import {
  type IceServer,
  IceServerClient,
  type IceServerClientOptions,
  IceServerError,
  type IceServerRefresh,
  keepIceServersFresh,
  type Transport,
} from '@kvs-ice-broker/client';
import { transportOf } from '@kvs-ice-broker/client/contract';
import { type CandidateStats, type StatsEntry, selectedPair } from './stats';

/** What the server writes into the page (no secrets). */
interface DemoConfig {
  readonly channels: readonly string[];
  readonly authMode: 'none' | 'jwt' | 'iam';
  /** iam: the Region requests are signed for. */
  readonly region?: string;
  /** The local CA's certificate, which browsers must trust for `turns:` URIs. */
  readonly caFile?: string;
}

interface Settings {
  readonly channel: string;
  readonly transports: Transport[];
  readonly sets: number;
  readonly margin: number;
  readonly token: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** How long a connection may take before the page calls it failed. */
const CONNECT_TIMEOUT_MS = 20_000;
const PING_INTERVAL_MS = 1_000;

const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const config = JSON.parse(byId('demo-config').textContent ?? '{}') as DemoConfig;
const form = byId<HTMLFormElement>('settings');
const dataset = document.body.dataset;

function show(id: string, text: string): void {
  byId(id).textContent = text;
}

function setState(state: 'idle' | 'connecting' | 'connected' | 'failed', text: string): void {
  dataset.state = state;
  show('status', text);
}

function advise(text: string | undefined): void {
  const advice = byId('advice');
  advice.hidden = text === undefined;
  advice.textContent = text ?? '';
}

function readSettings(): Settings {
  const data = new FormData(form);
  return {
    channel: String(data.get('channel') ?? ''),
    transports: data.getAll('transport').map(String) as Transport[],
    sets: Number(data.get('sets') ?? 1),
    margin: Number(data.get('margin') ?? 60),
    token: String(data.get('token') ?? ''),
    accessKeyId: String(data.get('accessKeyId') ?? ''),
    secretAccessKey: String(data.get('secretAccessKey') ?? ''),
  };
}

function clientFor(settings: Settings): IceServerClient {
  const options: IceServerClientOptions = {
    baseUrl: location.origin,
    channel: settings.channel,
    transports: settings.transports,
    maxServerSets: settings.sets,
    refreshMarginSeconds: settings.margin,
  };
  if (config.authMode === 'jwt') return new IceServerClient({ ...options, getToken: () => settings.token });
  if (config.authMode === 'iam') {
    const { accessKeyId, secretAccessKey } = settings;
    return new IceServerClient({
      ...options,
      aws: { credentials: { accessKeyId, secretAccessKey }, region: config.region ?? '' },
    });
  }
  return new IceServerClient(options);
}

const urlsOf = (server: IceServer) => (typeof server.urls === 'string' ? [server.urls] : server.urls);

/** One row per TURN URI: its server set, transport, and a count cell per peer. */
function candidateTable(iceServers: readonly IceServer[]): Map<string, [HTMLElement, HTMLElement]> {
  const body = byId('candidates');
  body.replaceChildren();
  const cells = new Map<string, [HTMLElement, HTMLElement]>();
  const sets = iceServers.filter((server) => server.username !== undefined);
  sets.forEach((server, index) => {
    for (const uri of urlsOf(server)) {
      const row = document.createElement('tr');
      const counts: [HTMLElement, HTMLElement] = [document.createElement('td'), document.createElement('td')];
      for (const text of [String(index + 1), transportOf(uri) ?? '?', uri]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.append(cell);
      }
      for (const cell of counts) cell.textContent = '0';
      row.append(...counts);
      body.append(row);
      cells.set(uri, counts);
    }
  });
  return cells;
}

/**
 * The table row of the TURN URI a candidate came from. Chromium speaks `turns:…?transport=udp` as
 * TLS over TCP and reports it as `…?transport=tcp`: without that row, the `turns:` row of the same host.
 */
function rowOf<T>(cells: Map<string, T>, url: string | undefined): T | undefined {
  if (url === undefined) return undefined;
  const exact = cells.get(url);
  if (exact !== undefined || !url.startsWith('turns:')) return exact;
  const host = url.split('?')[0];
  return [...cells].find(([uri]) => uri.split('?')[0] === host)?.[1];
}

const describeCandidate = (candidate: CandidateStats | undefined) =>
  candidate
    ? `${candidate.candidateType ?? '?'} ${candidate.relayProtocol ?? ''} ${candidate.address ?? '?'}:${candidate.port ?? '?'}${candidate.url ? ` via ${candidate.url}` : ''}`.replace(
        /\s+/g,
        ' ',
      )
    : '?';

function formatSeconds(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/**
 * Shows how many relay candidates `peer` gathered per TURN URI, from getStats() (its
 * local-candidate entries carry the URI; candidate events do not in Chromium).
 */
async function countRelayCandidates(
  peer: RTCPeerConnection,
  index: number,
  cells: Map<string, [HTMLElement, HTMLElement]>,
): Promise<void> {
  const pick = (row: [HTMLElement, HTMLElement]) => (index === 0 ? row[0] : row[1]);
  const counts = new Map<HTMLElement, number>();
  for (const row of cells.values()) counts.set(pick(row), 0);
  for (const entry of (await peer.getStats()).values() as Iterable<StatsEntry>) {
    if (entry.type !== 'local-candidate' || entry.candidateType !== 'relay') continue;
    const row = rowOf(cells, entry.url);
    if (row) counts.set(pick(row), (counts.get(pick(row)) ?? 0) + 1);
  }
  for (const [cell, count] of counts) cell.textContent = String(count);
}

/** One demo connection: two peers, their refreshers and the page's timers; `close()` ends it all. */
class Session {
  readonly peers: [RTCPeerConnection, RTCPeerConnection];
  readonly candidateErrors: { url: string; code: number; text: string }[] = [];
  private readonly refreshes: IceServerRefresh[] = [];
  private readonly timers: ReturnType<typeof setInterval>[] = [];

  constructor(configuration: RTCConfiguration) {
    this.peers = [new RTCPeerConnection(configuration), new RTCPeerConnection(configuration)];
  }

  keepFresh(refresh: IceServerRefresh): void {
    this.refreshes.push(refresh);
  }

  every(ms: number, run: () => void): void {
    this.timers.push(setInterval(run, ms));
  }

  close(): void {
    for (const refresh of this.refreshes) refresh.stop();
    for (const timer of this.timers) clearInterval(timer);
    for (const peer of this.peers) peer.close();
  }
}

let session: Session | undefined;

/** Trickles each peer's candidates to the other and counts relay candidates per TURN URI. */
function wire(session: Session, cells: Map<string, [HTMLElement, HTMLElement]>): Promise<never> {
  const [a, b] = session.peers;
  return new Promise<never>((_, reject) => {
    session.peers.forEach((peer, index) => {
      const other = index === 0 ? b : a;
      let relayCandidates = 0;
      peer.addEventListener('icecandidate', (event) => {
        if (!event.candidate) {
          if (relayCandidates === 0)
            reject(new Error(`peer ${index === 0 ? 'A' : 'B'} gathered no relay candidate`));
          return;
        }
        relayCandidates++;
        other.addIceCandidate(event.candidate).catch(reject);
        countRelayCandidates(peer, index, cells).catch(() => undefined);
      });
      peer.addEventListener('icecandidateerror', (event) => {
        const { url, errorCode, errorText } = event as RTCPeerConnectionIceErrorEvent;
        session.candidateErrors.push({ url: url ?? '', code: errorCode, text: errorText });
      });
      peer.addEventListener('connectionstatechange', () => {
        if (peer.connectionState === 'failed') reject(new Error('ICE failed: no candidate pair worked'));
      });
    });
  });
}

/** Why a connection failed, in words, with what to do about `turns:`. */
function failureAdvice(settings: Settings, current: Session | undefined, error: unknown): string | undefined {
  const errors = current?.candidateErrors ?? [];
  const refused = errors.find((entry) => entry.code === 401);
  const tlsFailed = errors.some((entry) => entry.url.startsWith('turns:'));
  const secure = settings.transports.some((transport) => transport === 'tls' || transport === 'dtls');
  if (error instanceof IceServerError) return undefined;
  if (refused) return 'The TURN server refused the credentials (401): they were altered, or have expired.';
  if (secure && (tlsFailed || settings.transports.every((t) => t === 'tls' || t === 'dtls'))) {
    return (
      'turns: connects over TLS, and the browser must trust the relay certificate: the local relay ' +
      `uses a certificate from the kvs-ice-broker local CA${config.caFile ? ` (${config.caFile})` : ''}, ` +
      'which no browser trusts until you add it (see "Trusting the local CA" in docs/local-development.md).'
    );
  }
  return undefined;
}

async function connect(settings: Settings): Promise<void> {
  session?.close();
  advise(undefined);
  delete dataset.relayProtocol;
  delete dataset.timeToOpenMs;
  dataset.refreshes = '0';
  dataset.echoed = '0';
  show('refreshes', '0');
  const started = performance.now();
  setState('connecting', 'Asking the API for ICE servers…');
  const client = clientFor(settings);
  const servers = await client.getIceServers();
  const answeredMs = performance.now() - started;
  const cells = candidateTable(servers.iceServers);
  const current = new Session({ iceServers: servers.iceServers, iceTransportPolicy: 'relay' });
  session = current;
  setState('connecting', `ICE servers in ${Math.round(answeredMs)} ms; gathering relay candidates…`);
  const [a, b] = current.peers;
  const failed = wire(current, cells);
  failed.catch((error: unknown) => {
    // After the channel opened, a failure still tells: the relay dropped the connection.
    if (dataset.state === 'connected' && session === current) fail(settings, error);
  });
  const channel = a.createDataChannel('demo');
  const opened = new Promise<void>((resolve) =>
    channel.addEventListener('open', () => resolve(), { once: true }),
  );
  b.addEventListener('datachannel', (event) => {
    event.channel.addEventListener('message', (message) => event.channel.send(message.data));
  });
  // Each peer has the other's description before it gathers, so no candidate arrives too early.
  const offer = await a.createOffer();
  await b.setRemoteDescription(offer);
  await a.setLocalDescription(offer);
  const answer = await b.createAnswer();
  await a.setRemoteDescription(answer);
  await b.setLocalDescription(answer);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no open data channel after ${CONNECT_TIMEOUT_MS / 1000} s`)),
      CONNECT_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([opened, failed, timeout]);
  } finally {
    clearTimeout(timer);
  }
  const timeToOpenMs = Math.round(performance.now() - started);
  dataset.timeToOpenMs = String(timeToOpenMs);
  show('time-to-open', `${timeToOpenMs} ms (ICE servers from the API in ${Math.round(answeredMs)} ms)`);
  await Promise.all(current.peers.map((peer, index) => countRelayCandidates(peer, index, cells)));
  const pair = await selectedPair(a);
  dataset.relayProtocol = pair.local?.relayProtocol ?? '';
  show('selected-pair', `peer A ${describeCandidate(pair.local)} ⇄ peer B ${describeCandidate(pair.remote)}`);
  setState('connected', `Connected through the relay (${dataset.relayProtocol || 'unknown protocol'}).`);
  keepAlive(current, client, channel, servers.expiresAt);
}

/** Refreshes the credentials on both live peers, counts down their life, and pings over the channel. */
function keepAlive(
  current: Session,
  client: IceServerClient,
  channel: RTCDataChannel,
  expiresAt: Date,
): void {
  let expiry = expiresAt;
  let refreshes = 0;
  const onError = (error: unknown) =>
    show('status', `Refreshing the credentials failed, retrying: ${String(error)}`);
  current.peers.forEach((peer, index) => {
    const onRefresh = (servers: { expiresAt: Date }) => {
      expiry = servers.expiresAt;
      if (index !== 0) return;
      refreshes++;
      dataset.refreshes = String(refreshes);
      show('refreshes', `${refreshes} (both peers got new credentials; the data channel stayed open)`);
    };
    current.keepFresh(keepIceServersFresh(peer, client, { onRefresh, onError }));
  });
  const countdown = () => show('credentials-life', formatSeconds(expiry.getTime() - Date.now()));
  countdown();
  current.every(1_000, countdown);
  let sent = 0;
  let echoed = 0;
  channel.addEventListener('message', () => {
    echoed++;
    dataset.echoed = String(echoed);
    show('messages', `${sent} / ${echoed}`);
  });
  current.every(PING_INTERVAL_MS, () => {
    if (channel.readyState !== 'open')
      return show('messages', `${sent} / ${echoed} (channel ${channel.readyState})`);
    sent++;
    channel.send(`ping ${sent}`);
  });
}

function fail(settings: Settings, error: unknown): void {
  const reason = error instanceof IceServerError ? `${error.code}: ${error.message}` : String(error);
  setState('failed', `Failed: ${reason}`);
  advise(failureAdvice(settings, session, error));
}

function init(): void {
  const select = byId<HTMLSelectElement>('channel');
  for (const name of config.channels) select.append(new Option(name, name));
  byId('token-field').hidden = config.authMode !== 'jwt';
  byId('aws-fields').hidden = config.authMode !== 'iam';
  // Settings from the query string (?channel=demo&transports=udp,tls&sets=2&margin=60) fill the form.
  const query = new URLSearchParams(location.search);
  const channel = query.get('channel');
  if (channel) select.value = channel;
  const transports = query.get('transports')?.split(',');
  if (transports) {
    for (const box of form.querySelectorAll<HTMLInputElement>('input[name=transport]')) {
      box.checked = transports.includes(box.value);
    }
  }
  const sets = query.get('sets');
  if (sets)
    for (const radio of form.querySelectorAll<HTMLInputElement>('input[name=sets]'))
      radio.checked = radio.value === sets;
  const margin = query.get('margin');
  if (margin) byId<HTMLInputElement>('margin').value = margin;

  const disconnect = byId<HTMLButtonElement>('disconnect');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const settings = readSettings();
    if (settings.transports.length === 0) return fail(settings, new Error('choose at least one transport'));
    disconnect.disabled = false;
    connect(settings).catch((error: unknown) => fail(settings, error));
  });
  disconnect.addEventListener('click', () => {
    session?.close();
    session = undefined;
    disconnect.disabled = true;
    setState('idle', 'Disconnected.');
  });
  setState('idle', `Not connected. Auth mode: ${config.authMode}.`);
}

init();
