import { createConfig, getLineColLocation, lint, type NormalizedProblem } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_PATH } from './support/document';

/** `warn no-unused-components: … at docs/openapi.json:12:3 #/components/…`, one line per place it points at. */
function describeProblem(problem: NormalizedProblem): string {
  const places = problem.location.map((location) => {
    const { start } = getLineColLocation(location);
    return `docs/openapi.json:${start.line}:${start.col} ${location.pointer ?? ''}`;
  });
  return `${problem.severity} ${problem.ruleId}: ${problem.message} at ${places.join(', ')}`;
}

describe('docs/openapi.json under a mainstream linter', () => {
  // Redocly's `recommended` rules, as `redocly lint --extends recommended` applies them. The config is
  // built here, not read from a file, so neither a config nor a lint-ignore file can silence a rule.
  it('has no problem, error or warning, under Redocly recommended rules', async () => {
    const config = await createConfig({ extends: ['recommended'] });

    const problems = await lint({ ref: DOCUMENT_PATH, config });

    expect(problems.map(describeProblem)).toEqual([]);
  });
});
