/**
 * Lets esbuild drop the AWS SDK schemas a bundle never uses. Each SDK client describes its whole API in one
 * generated module (`dist-es/schemas/schemas_0.js`: 554 KB for EC2, of which `enforce` calls four operations)
 * as top-level array literals, which esbuild removes when unused, except that their trait objects use
 * computed keys: `{ [_xN]: _aSs }` with `const _xN = "xmlName"`. esbuild cannot prove a computed key free of
 * side effects, so it keeps every schema. Writing each such key as the string literal its constant holds
 * (`{ "xmlName": _aSs }`) changes no value and lets the unused schemas go.
 */
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

/** The generated schema modules of the SDK clients and of the credential chain's nested clients. */
export const SDK_SCHEMA_MODULE =
  /@aws-sdk[\\/](?:client-[^\\/]+|nested-clients)[\\/]dist-es[\\/].*schemas_\d+\.js$/;

/** A top-level string constant as the SDK's code generator writes it: `const _xN = "xmlName";`. */
const STRING_CONSTANT = /^const (_\w+) = ("[^"\\\n]*");$/gm;

/** A computed object key naming one constant: `[_xN]:`. */
const COMPUTED_KEY = /\[(_\w+)\]:/g;

/**
 * Rewrites every computed key `[_c]:` whose `_c` is a top-level string constant of the module as that string
 * literal. Other computed keys are left as they are.
 */
export function literalSchemaKeys(source: string): string {
  const constants = new Map<string, string>();
  for (const [, name, literal] of source.matchAll(STRING_CONSTANT)) {
    constants.set(name as string, literal as string);
  }
  return source.replace(COMPUTED_KEY, (key, name: string) => {
    const literal = constants.get(name);
    return literal === undefined ? key : `${literal}:`;
  });
}

/** The esbuild plugin that applies {@link literalSchemaKeys} to every {@link SDK_SCHEMA_MODULE}. */
export const sdkSchemaKeys: Plugin = {
  name: 'sdk-schema-keys',
  setup(build) {
    build.onLoad({ filter: SDK_SCHEMA_MODULE }, async ({ path }) => ({
      contents: literalSchemaKeys(await readFile(path, 'utf8')),
      loader: 'js',
    }));
  },
};
