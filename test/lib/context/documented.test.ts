import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEY_NAMES } from '../../../lib/context';

const GUIDE = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'operations.md'), 'utf8');

/** The keys of the guide's "Context keys" table: the first cell of each row, when it is one `key`. */
function documentedKeys(): Set<string> {
  const section = GUIDE.slice(
    GUIDE.indexOf('### Context keys'),
    GUIDE.indexOf("### The function's environment"),
  );
  return new Set([...section.matchAll(/^\| `([A-Za-z0-9]+)` \|/gm)].map((match) => match[1] ?? ''));
}

describe('docs/operations.md', () => {
  it('documents every context key the code reads, each in a row of its "Context keys" table', () => {
    const documented = documentedKeys();

    const missing = CONTEXT_KEY_NAMES.filter((key) => !documented.has(key));

    expect(missing).toEqual([]);
  });

  it('documents no context key the code does not read', () => {
    const known = new Set(CONTEXT_KEY_NAMES);

    const unknown = [...documentedKeys()].filter((key) => !known.has(key));

    expect(unknown).toEqual([]);
  });
});
