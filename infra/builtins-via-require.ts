/**
 * Loads Node's built-in modules in a bundle with `require` rather than `import`. An ES import of a built-in
 * goes through the module's ES facade, which reads every export once to copy it; on Node 24 that reading runs
 * `node:http`'s lazy getters, which load the whole of undici (about 20 ms) that nothing here uses. `require`
 * hands over the module object and reads nothing. Static and dynamic imports of built-ins are both rerouted:
 * the SDK's HTTP handler imports `node:http` and `node:https` dynamically, on the first request.
 *
 * Each built-in becomes a small CommonJS module, `module.exports = require("node:http")`, through the bundle's
 * `require` (the banner's `createRequire`); esbuild's interop gives named imports, default imports and
 * namespace imports what an ES import of the built-in gives them.
 */
import { isBuiltin } from 'node:module';
import type { Plugin } from 'esbuild';

const NAMESPACE = 'builtin-via-require';

/** The esbuild plugin; the bundle must define `require` (the functions' banner does). */
export const builtinsViaRequire: Plugin = {
  name: 'builtins-via-require',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, ({ path, kind, namespace }) => {
      const imported = kind === 'import-statement' || kind === 'dynamic-import';
      return imported && namespace !== NAMESPACE && isBuiltin(path)
        ? { path, namespace: NAMESPACE }
        : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, ({ path }) => ({
      contents: `module.exports = require(${JSON.stringify(path)});`,
      loader: 'js',
    }));
  },
};
