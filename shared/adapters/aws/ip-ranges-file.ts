/**
 * Loads a fresher copy of AWS's `ip-ranges.json` than the snapshot shipped with the package (a deployment
 * downloads https://ip-ranges.amazonaws.com/ip-ranges.json into its bundle or a mounted file).
 */
import { readFile } from 'node:fs/promises';
import { type AwsIpRanges, parseAwsIpRanges } from '#domain/aws-ip-ranges';
import { InvalidInputError } from '#domain/errors';

/**
 * Reads and parses an `ip-ranges.json` file, for the policy context's `awsIpRanges`. Throws InvalidInputError
 * naming the path when the file cannot be read or is not JSON, and naming the field when its content is not
 * in AWS's format.
 */
export async function readAwsIpRanges(path: string): Promise<AwsIpRanges> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError(`cannot read ${path}: ${(error as Error).message}`, 'awsIpRangesFile', {
      cause: error,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidInputError(`${path} is not JSON: ${(error as Error).message}`, 'awsIpRangesFile', {
      cause: error,
    });
  }
  return parseAwsIpRanges(json, path);
}
