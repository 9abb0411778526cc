import { randomBytes } from 'node:crypto';
import type { PolicyDocument } from './policy';
import type { KeyPair } from './types';

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * An id shaped like AWS's: a 4-letter prefix (`AKIA` long-term key, `ASIA` temporary key,
 * `AROA` role id, `AIDA` IAM user id) followed by 16 characters of [A-Z2-7].
 */
export function randomKeyId(prefix: 'AKIA' | 'ASIA' | 'AROA' | 'AIDA'): string {
  let id = prefix;
  for (const byte of randomBytes(16)) id += KEY_ALPHABET[byte % KEY_ALPHABET.length];
  return id;
}

/** A 40-character secret access key (base64 alphabet, like AWS's). */
export const randomSecretAccessKey = (): string => randomBytes(30).toString('base64');

/** An opaque session token. */
export const randomSessionToken = (): string => randomBytes(192).toString('base64');

/** Temporary credentials the emulator issued with AssumeRole. */
export interface Session extends KeyPair {
  readonly sessionToken: string;
  /** Emulator clock, epoch milliseconds. */
  readonly expiresAt: number;
  readonly roleArn: string;
  /** `arn:…:sts::ACCOUNT:assumed-role/ROLE/SESSION` */
  readonly assumedRoleArn: string;
  /** `AROA…:SESSION`: the role's unique id and the session name (GetCallerIdentity's `UserId`). */
  readonly assumedRoleId: string;
  /** `null`: the session has all of the role's permissions. */
  readonly policy: PolicyDocument | null;
}

/**
 * Who signed a request: the function's own credentials (a session of its execution role, as
 * Lambda hands them over), the developer user whose keys `npm start` prints for the AWS CLI and
 * boto3, the sample viewer user (only with `EmulatorOptions.sampleViewerUser`), or a session of
 * the scoped role that AssumeRole issued.
 */
export type Principal =
  | { readonly kind: 'execution' }
  | { readonly kind: 'developer' }
  | { readonly kind: 'sampleViewer' }
  | { readonly kind: 'session'; readonly session: Session };

/** A long-term key pair and whose it is. */
export interface LongTermKey {
  readonly keyPair: KeyPair;
  readonly principal: Principal;
}

/** What the store knows about an access key id: its secret, what else a request must carry, whose it is. */
export interface KnownKey {
  readonly secretAccessKey: string;
  /** Required `x-amz-security-token`, for temporary credentials. */
  readonly sessionToken?: string;
  /** Emulator clock, epoch milliseconds; absent for long-term keys. */
  readonly expiresAt?: number;
  readonly principal: Principal;
}

/** The session AssumeRole is about to hand out; the store adds fresh keys and a session token. */
export interface IssueRequest {
  readonly roleArn: string;
  readonly assumedRoleArn: string;
  readonly assumedRoleId: string;
  readonly policy: PolicyDocument | null;
  readonly expiresAt: number;
}

/** Sessions kept before the oldest are forgotten (a benchmark may assume roles many times). */
const MAX_SESSIONS = 50_000;

/** The access keys the emulator accepts: its long-term keys and the sessions it issued. */
export class CredentialStore {
  private readonly sessions = new Map<string, Session>();
  private readonly longTerm: ReadonlyMap<string, LongTermKey>;

  constructor(
    longTermKeys: readonly LongTermKey[],
    private readonly now: () => number,
  ) {
    this.longTerm = new Map(longTermKeys.map((key) => [key.keyPair.accessKeyId, key]));
  }

  /** The key with this id (a long-term key or an issued session, expired or not), or undefined. */
  lookup(accessKeyId: string): KnownKey | undefined {
    const longTerm = this.longTerm.get(accessKeyId);
    if (longTerm) return { secretAccessKey: longTerm.keyPair.secretAccessKey, principal: longTerm.principal };
    const session = this.sessions.get(accessKeyId);
    if (!session) return undefined;
    return {
      secretAccessKey: session.secretAccessKey,
      sessionToken: session.sessionToken,
      expiresAt: session.expiresAt,
      principal: { kind: 'session', session },
    };
  }

  /** Issues temporary credentials (`ASIA…` key, secret, session token); keeps at most 50,000 sessions. */
  issue(request: IssueRequest): Session {
    this.evict();
    const session: Session = {
      ...request,
      accessKeyId: randomKeyId('ASIA'),
      secretAccessKey: randomSecretAccessKey(),
      sessionToken: randomSessionToken(),
    };
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  /** Forgets expired sessions once the map is full, then the oldest if it still is. */
  private evict(): void {
    if (this.sessions.size < MAX_SESSIONS) return;
    const now = this.now();
    for (const [id, session] of this.sessions) if (session.expiresAt <= now) this.sessions.delete(id);
    for (const id of this.sessions.keys()) {
      if (this.sessions.size < MAX_SESSIONS) break;
      this.sessions.delete(id);
    }
  }
}
