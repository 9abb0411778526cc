import type { Metafile } from 'esbuild';

/** The project's own code, as opposed to a dependency. */
const PROJECT = '(project)';

/** The package a bundled input belongs to: the name after its last `node_modules/`. */
export function packageOf(inputPath: string): string {
  const parts = inputPath.split('node_modules/');
  if (parts.length < 2) return PROJECT;
  const [scopeOrName = '', name = ''] = (parts.at(-1) ?? '').split('/');
  return scopeOrName.startsWith('@') ? `${scopeOrName}/${name}` : scopeOrName;
}

/** Bytes each package contributes to an output of the bundle, largest first. */
export function bytesPerPackage(metafile: Metafile, output: string): { name: string; bytes: number }[] {
  const inputs = metafile.outputs[output]?.inputs;
  if (!inputs) throw new Error(`the metafile has no output ${output}`);
  const totals = new Map<string, number>();
  for (const [path, { bytesInOutput }] of Object.entries(inputs)) {
    const name = packageOf(path);
    totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
  }
  return [...totals]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes || a.name.localeCompare(b.name));
}
