import type { SessionPolicy } from './policy';
import { randomKeyId, randomSecretAccessKey, randomSessionToken } from './random';
import type { KeyPair } from './types';

/** Temporary credentials the emulator issued with AssumeRole. */
export interface Session extends KeyPair {
  readonly sessionToken: string;
  /** Emulator clock, epoch milliseconds. */
  readonly expiresAt: number;
  readonly roleArn: string;
  /** `arn:…:sts::ACCOUNT:assumed-role/ROLE/SESSION` */
  readonly assumedRoleArn: string;
  /** `null`: the session has all of the role's permissions. */
  readonly policy: SessionPolicy | null;
}

/** Who signed a request. */
export type Principal =
  | { readonly kind: 'execution' }
  | { readonly kind: 'session'; readonly session: Session };

export interface KnownKey {
  readonly secretAccessKey: string;
  /** Required `x-amz-security-token`, for temporary credentials. */
  readonly sessionToken?: string;
  /** Emulator clock, epoch milliseconds; absent for long-term keys. */
  readonly expiresAt?: number;
  readonly principal: Principal;
}

export interface IssueRequest {
  readonly roleArn: string;
  readonly assumedRoleArn: string;
  readonly policy: SessionPolicy | null;
  readonly expiresAt: number;
}

/** Sessions kept before the oldest are forgotten (a benchmark may assume roles many times). */
const MAX_SESSIONS = 50_000;

/** The access keys the emulator accepts: the execution key pair and the sessions it issued. */
export class CredentialStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly execution: KeyPair,
    private readonly now: () => number,
  ) {}

  lookup(accessKeyId: string): KnownKey | undefined {
    if (accessKeyId === this.execution.accessKeyId) {
      return { secretAccessKey: this.execution.secretAccessKey, principal: { kind: 'execution' } };
    }
    const session = this.sessions.get(accessKeyId);
    if (!session) return undefined;
    return {
      secretAccessKey: session.secretAccessKey,
      sessionToken: session.sessionToken,
      expiresAt: session.expiresAt,
      principal: { kind: 'session', session },
    };
  }

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
