/** Reading esbuild's metafile of a bundle that may be split into chunks. */
import type { Metafile } from 'esbuild';

/** Bytes of the given files of a bundle (keys of the metafile's outputs); by default of all: entry and chunks. */
export function bundleBytes(metafile: Metafile, files = Object.keys(metafile.outputs)): number {
  return files.reduce((sum, file) => sum + (metafile.outputs[file]?.bytes ?? 0), 0);
}

/** How many bytes of each input reached a bundle, over all its files; inputs that left nothing are omitted. */
export function bundledInputs(metafile: Metafile): Map<string, number> {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      if (input.bytesInOutput > 0) bytes.set(path, (bytes.get(path) ?? 0) + input.bytesInOutput);
    }
  }
  return bytes;
}

/**
 * The output files that loading `entry` (a key of the metafile's outputs) reads: itself and the chunks it
 * imports statically, directly or not. The other chunks are read when the code first imports them.
 */
export function filesReadWith(metafile: Metafile, entry: string): string[] {
  const read = new Set<string>();
  const visit = (file: string) => {
    if (read.has(file)) return;
    read.add(file);
    for (const imported of metafile.outputs[file]?.imports ?? []) {
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
    }
  };
  visit(entry);
  return [...read];
}

/**
 * The dynamic imports of CommonJS modules in a bundle, as `importer → imported`. In a bundle split into chunks
 * such a module becomes a chunk that exports only `default`, so code that reads a named export of the imported
 * namespace (as Node's own `import()` of CommonJS allows) would get undefined.
 */
export function dynamicImportsOfCommonJs(metafile: Metafile): string[] {
  return Object.entries(metafile.inputs).flatMap(([importer, input]) =>
    input.imports
      .filter(
        ({ kind, external, path }) =>
          kind === 'dynamic-import' && !external && metafile.inputs[path]?.format === 'cjs',
      )
      .map(({ path }) => `${importer} → ${path}`),
  );
}

/** Throws, naming `what` and each import, when a split bundle imports a CommonJS module dynamically. */
export function assertSplittable(metafile: Metafile, what: string): void {
  const imports = dynamicImportsOfCommonJs(metafile);
  if (imports.length > 0) {
    throw new Error(
      `${what}: a dynamic import of a CommonJS module would lose its named exports in a bundle split into chunks: ${imports.join('; ')}`,
    );
  }
}
