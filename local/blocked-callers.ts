import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BLOCKED_CALLERS_FORMAT } from '../lambda/contract';
import { InvalidBlockedCallersError, parseBlockedCallers } from '../lambda/core/blocked-callers';
import { ConfigError } from '../lib/ice-broker-validation';
import { LOCAL_BLOCKED_CALLERS_PARAMETER } from './emulator/options';

/**
 * The SSM parameter the local runner keeps the blocked-callers list in: the emulator's, whose
 * execution role may read that parameter alone, as a deployed one may read its stack's.
 */
export { LOCAL_BLOCKED_CALLERS_PARAMETER };

/** Prefix of a subject entry in `-c blockedCallers` (other entries are caller ids). */
const SUBJECT_PREFIX = 'sub:';

/** How often a `blockedCallersFile` is checked for changes. */
const FILE_POLL_MS = 500;

/**
 * Where the local runner's blocked callers come from: `-c blockedCallers=u-…,sub:alice` (a fixed
 * list of caller ids and `sub:`-prefixed JWT subjects), or `-c blockedCallersFile=path` (a JSON
 * file in the parameter's format, re-read whenever it changes: blocking without a restart, as
 * `aws ssm put-parameter` does for a deployment).
 */
export type LocalBlockedCallers = { readonly list: readonly string[] } | { readonly file: string };

/** The parameter value for a `-c blockedCallers` list. */
export function blockedCallersValue(list: readonly string[]): string {
  const subjects = list.filter((entry) => entry.startsWith(SUBJECT_PREFIX)).map((entry) => entry.slice(4));
  const callerIds = list.filter((entry) => !entry.startsWith(SUBJECT_PREFIX));
  return JSON.stringify({ callerIds, subjects });
}

/**
 * The `blockedCallers` / `blockedCallersFile` context as a {@link LocalBlockedCallers}; throws a
 * {@link ConfigError} naming the key when both are given, or when the file is missing or invalid.
 */
export function readLocalBlockedCallers(context: {
  blockedCallers?: readonly string[];
  blockedCallersFile?: string;
}): LocalBlockedCallers | undefined {
  const { blockedCallers: list, blockedCallersFile: file } = context;
  if (list !== undefined && file !== undefined)
    throw new ConfigError('context', ['blockedCallers', 'blockedCallersFile'], 'give one of them, not both');
  if (list !== undefined) {
    const problems = list.flatMap((entry) => entryProblem(entry) ?? []);
    if (problems.length > 0) throw new ConfigError('context', 'blockedCallers', problems.join('; '));
    return { list };
  }
  if (file === undefined) return undefined;
  const path = resolve(file);
  const problem = fileProblem(path);
  if (problem !== undefined) throw new ConfigError('context', 'blockedCallersFile', problem);
  return { file: path };
}

/** Caller ids as the function logs them: `u-…` (JWT sub), `c-…` (client id), `iam-…` (IAM caller). */
const CALLER_ID = /^(u|c|iam)-[A-Za-z0-9_.~-]+$/;

/** Subjects and caller ids are opaque and matched exactly, so `value` is refused if trimming would change it. */
const padded = (value: string): boolean => value.trim() !== value;

/**
 * Why a `-c blockedCallers` entry would block nobody (or another caller than it names, or break
 * the list), or undefined. Entries are taken as written (lib/context.ts does not trim them).
 */
function entryProblem(entry: string): string | undefined {
  // JSON quoting shows a tab or a line break as such.
  if (padded(entry))
    return `${JSON.stringify(entry)} has surrounding whitespace: caller ids and subjects are matched exactly`;
  if (entry.startsWith(SUBJECT_PREFIX)) {
    const subject = entry.slice(SUBJECT_PREFIX.length);
    if (subject === '') return `"${entry}" names no subject; write sub:<JWT sub>`;
    return padded(subject)
      ? `${JSON.stringify(entry)} names the subject ${JSON.stringify(subject)}, which has surrounding whitespace: subjects are matched exactly`
      : undefined;
  }
  if (CALLER_ID.test(entry)) return undefined;
  return `"${entry}" is neither a caller id as the function logs it (u-…, c-…, iam-…) nor sub:<JWT sub>; did you mean "${SUBJECT_PREFIX}${entry}"?`;
}

function fileProblem(path: string): string | undefined {
  const read = readList(path);
  return 'problem' in read ? read.problem : listProblem(path, read.text);
}

/** The file's text, or why it cannot be read. */
function readList(path: string): { text: string } | { problem: string } {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (error) {
    return { problem: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
  }
}

/** Why `text` is not a blocked-callers list, or undefined when it is one. */
function listProblem(path: string, text: string): string | undefined {
  try {
    parseBlockedCallers(text);
    return undefined;
  } catch (error) {
    if (!(error instanceof InvalidBlockedCallersError)) throw error;
    // The operator's own file: its entries may be named (the function's log names only their index).
    return `${path}: ${error.describeWithEntries()}; expected ${BLOCKED_CALLERS_FORMAT.empty} with ids and subjects`;
  }
}

/** Where the list goes: the emulator's `setParameter`, and where to report a bad edit of the file. */
export interface BlockedCallersSink {
  setParameter(name: string, value: string): void;
  warn(message: string): void;
}

/**
 * Puts the list into the emulator's parameter, and for a file, again on every change (an invalid
 * edit goes in as is, as an operator's would: the function keeps its last good list, and a warning
 * is printed). A change is a text other than the one last read, checked every `FILE_POLL_MS`: no
 * file watcher's first snapshot, which may be taken after an edit and so never see it. Returns how
 * to stop watching.
 */
export function publishBlockedCallers(
  source: LocalBlockedCallers | undefined,
  sink: BlockedCallersSink,
): () => void {
  const name = LOCAL_BLOCKED_CALLERS_PARAMETER;
  if (source === undefined || 'list' in source) {
    sink.setParameter(name, source ? blockedCallersValue(source.list) : BLOCKED_CALLERS_FORMAT.empty);
    return () => undefined;
  }
  const keepLastGood = (problem: string) =>
    sink.warn(`blockedCallersFile: ${problem}; the API keeps its last good list`);
  /** What the file held when last read: the same text again is no change; undefined after a failed read. */
  let lastRead: string | undefined;
  let lastProblem: string | undefined;
  const publish = () => {
    const read = readList(source.file);
    if ('problem' in read) {
      // Warn once per failure, not on every poll while the file stays unreadable.
      if (read.problem !== lastProblem) keepLastGood(read.problem);
      lastProblem = read.problem;
      lastRead = undefined;
      return;
    }
    lastProblem = undefined;
    if (read.text === lastRead) return;
    lastRead = read.text;
    const problem = listProblem(source.file, read.text);
    if (problem !== undefined) keepLastGood(problem);
    try {
      // SSM refuses an empty value; so does the emulator.
      sink.setParameter(name, read.text.trim() === '' ? ' ' : read.text);
    } catch (error) {
      // A value SSM would refuse too (over 4096 bytes): PutParameter fails, the old value stays.
      keepLastGood(`${source.file}: ${(error as Error).message}`);
    }
  };
  publish();
  const poll = setInterval(publish, FILE_POLL_MS);
  poll.unref();
  return () => clearInterval(poll);
}
