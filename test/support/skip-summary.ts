import type { Reporter, TestCase, TestModule, TestSuite, Vitest } from 'vitest/node';
import type { MissingTool } from './requirements';

/** One missing tool and the tests it skipped. */
export interface SkippedFor {
  readonly tool: MissingTool;
  /** How many tests it skipped. */
  readonly tests: number;
  /** The test files they are in, relative to the project root, sorted. */
  readonly files: readonly string[];
}

/** The missing tools a skipped test (or the nearest suite above it) carries in its metadata. */
function missingToolsOf(test: TestCase): readonly MissingTool[] {
  let entity: TestCase | TestSuite | TestModule = test;
  while (entity.type !== 'module') {
    const tools = entity.meta().missingTools;
    if (tools !== undefined && tools.length > 0) return tools;
    entity = entity.parent;
  }
  return [];
}

/** The skipped tests of a run grouped by the missing tool that skipped them, in the order first met. */
export function skippedForMissingTools(modules: readonly TestModule[]): SkippedFor[] {
  const byTool = new Map<string, { tool: MissingTool; tests: number; files: Set<string> }>();
  for (const module of modules) {
    for (const test of module.children.allTests('skipped')) {
      for (const tool of missingToolsOf(test)) {
        const entry = byTool.get(tool.name) ?? { tool, tests: 0, files: new Set<string>() };
        entry.tests += 1;
        entry.files.add(module.relativeModuleId);
        byTool.set(tool.name, entry);
      }
    }
  }
  return [...byTool.values()].map(({ tool, tests, files }) => ({ tool, tests, files: [...files].sort() }));
}

/** The lines printed at the end of a run that skipped tests for missing tools; none when it skipped none. */
export function skipSummaryLines(skipped: readonly SkippedFor[]): string[] {
  if (skipped.length === 0) return [];
  const tests = (count: number) => `${count} test${count === 1 ? '' : 's'}`;
  return [
    '',
    ' Skipped for want of a program (install it and run again):',
    ...skipped.map(
      ({ tool, tests: count, files }) =>
        `   ${tool.name} not found (${tool.install}): ${tests(count)} in ${files.join(', ')}`,
    ),
  ];
}

/**
 * A reporter that prints, after the default reporter's summary, which tests were skipped because
 * a program is missing and what to install (from `missingTools` in the tests' metadata, set by
 * test/support/requirements.ts); nothing when no test was skipped that way.
 */
export default class SkipSummaryReporter implements Reporter {
  private print: (text: string) => void = (text) => console.log(text);

  onInit(vitest: Vitest): void {
    this.print = (text) => vitest.logger.log(text);
  }

  onTestRunEnd(modules: readonly TestModule[]): void {
    const lines = skipSummaryLines(skippedForMissingTools(modules));
    if (lines.length > 0) this.print(lines.join('\n'));
  }
}
