/**
 * What both demo pages (`demo.ts`, `signaling.ts`) read of `RTCPeerConnection.getStats()`: the
 * candidates of the selected pair. Each page is bundled on its own by local/demo/server.ts, this
 * module with it.
 */

/** What the pages read of a local- or remote-candidate entry. */
export interface CandidateStats {
  readonly candidateType?: string;
  readonly relayProtocol?: string;
  readonly address?: string;
  readonly port?: number;
  readonly url?: string;
}

/** What the pages read of getStats() entries (transport, candidate-pair, local- and remote-candidate). */
export interface StatsEntry extends CandidateStats {
  readonly type: string;
  readonly selectedCandidatePairId?: string;
  readonly nominated?: boolean;
  readonly localCandidateId?: string;
  readonly remoteCandidateId?: string;
}

/** The local and remote candidates of a connection's selected pair; undefined when not (yet) known. */
export interface CandidatePair {
  readonly local: StatsEntry | undefined;
  readonly remote: StatsEntry | undefined;
}

/**
 * The selected pair's local and remote candidates, from getStats() (the transport's
 * selectedCandidatePairId). Right when the channel opens the stats may not name it yet: asked again
 * for up to two seconds.
 */
export async function selectedPair(pc: RTCPeerConnection): Promise<CandidatePair> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const pair = await pairInStats(pc);
    if (pair.local) return pair;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pairInStats(pc);
}

async function pairInStats(pc: RTCPeerConnection): Promise<CandidatePair> {
  const entries = [...(await pc.getStats()).values()] as StatsEntry[];
  const byId = new Map(entries.map((entry) => [(entry as { id?: string }).id, entry]));
  const selectedId = entries.find((entry) => entry.type === 'transport')?.selectedCandidatePairId;
  // A working nominated pair may still say in-progress: without a selected pair, take the nominated one.
  const pair =
    (selectedId ? byId.get(selectedId) : undefined) ??
    entries.find((entry) => entry.type === 'candidate-pair' && entry.nominated);
  const local = pair?.localCandidateId ? byId.get(pair.localCandidateId) : undefined;
  const remote = pair?.remoteCandidateId ? byId.get(pair.remoteCandidateId) : undefined;
  return { local, remote };
}
