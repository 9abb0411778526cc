import { vi } from 'vitest';

/**
 * Everything the process writes while `run` runs: stdout and stderr, and the console (which
 * vitest reroutes before it reaches the streams). In Lambda each of these is a log line.
 */
export async function captureOutput<T>(run: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const chunks: string[] = [];
  const spies = [
    ...[process.stdout, process.stderr].map((stream) =>
      vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
        chunks.push(String(chunk));
        return true;
      }),
    ),
    ...(['log', 'info', 'warn', 'error', 'debug', 'trace'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        chunks.push(`${args.map(String).join(' ')}\n`);
      }),
    ),
  ];
  try {
    const result = await run();
    return {
      result,
      lines: chunks
        .join('')
        .split('\n')
        .filter((line) => line.trim() !== ''),
    };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

/** The lines that are not JSON objects. */
export const nonJsonLines = (lines: readonly string[]): string[] =>
  lines.filter((line) => {
    try {
      const value = JSON.parse(line);
      return typeof value !== 'object' || value === null;
    } catch {
      return true;
    }
  });
