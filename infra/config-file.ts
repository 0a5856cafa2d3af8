/** Reading the configuration file of the ready app. */
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '#domain/errors';
import { configJson, parseConfig, type WardenConfig } from '#shared/config/config';

/** The variable that names the configuration file, and the file read when it is not set. */
export const CONFIG_FILE_VARIABLE = 'EGRESS_WARDEN_CONFIG_FILE';
export const DEFAULT_CONFIG_FILE = 'egress-warden.config.json';

/** The configuration file's path: `EGRESS_WARDEN_CONFIG_FILE`, or `egress-warden.config.json`. */
export function configFilePath(env: Readonly<Record<string, string | undefined>>): string {
  return env[CONFIG_FILE_VARIABLE] || DEFAULT_CONFIG_FILE;
}

/**
 * Reads and validates a configuration file. Throws InvalidInputError naming the file and the field (a file
 * that cannot be read or is not JSON names the file alone).
 */
export function readConfigFile(path: string): WardenConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`cannot be read: ${(error as Error).message}`, path, { cause: error });
  }
  let json: unknown;
  try {
    json = configJson(text);
  } catch (error) {
    throw new InvalidInputError(`is not valid JSON: ${(error as Error).message}`, path, { cause: error });
  }
  return parseConfig(json, path);
}
