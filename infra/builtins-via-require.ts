/**
 * Loads Node's built-in modules in a bundle with `require` rather than `import`, where the bundle imports them
 * statically. An ES import of a built-in goes through the module's ES facade, which reads every export once to
 * copy it; on Node 24 that reading runs `node:http`'s lazy getters, which load the whole of undici (about
 * 20 ms at start) that nothing here uses. `require` hands over the module object and reads nothing.
 *
 * Each built-in becomes a small CommonJS module, `module.exports = require("node:http")`, through the bundle's
 * `require` (the banner's `createRequire`); esbuild's interop gives named imports, default imports and
 * namespace imports what an ES import of the built-in gives them. Dynamic imports (`await import("node:http")`,
 * as the SDK's HTTP handler does on its first request) are left as they are: in a bundle split into chunks, a
 * CommonJS module imported dynamically becomes a chunk that exports only `default`, and code that takes a
 * named export from the namespace would get undefined. One form loses names: `export * from 'node:path'` in the
 * entry file itself, whose exports esbuild must list and cannot for a CommonJS module; the functions' entries
 * export only `handler`.
 */
import { isBuiltin } from 'node:module';
import type { Plugin } from 'esbuild';

const NAMESPACE = 'builtin-via-require';

/** The esbuild plugin; the bundle must define `require` (the functions' banner does). */
export const builtinsViaRequire: Plugin = {
  name: 'builtins-via-require',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, ({ path, kind, namespace }) => {
      return kind === 'import-statement' && namespace !== NAMESPACE && isBuiltin(path)
        ? { path, namespace: NAMESPACE }
        : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, ({ path }) => ({
      contents: `module.exports = require(${JSON.stringify(path)});`,
      loader: 'js',
    }));
  },
};
