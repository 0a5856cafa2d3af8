/** Synthesizing the stack in tests: the app's feature flags, bundling skipped, cdk-nag on. */
import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type ConfigInput, parseConfig } from '#shared/config/config';
import { EgressWardenStack } from '../../infra/egress-warden-stack';

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
  context: Record<string, unknown>;
};

/** The example configuration in the repository root, as written. */
export const EXAMPLE_CONFIG = JSON.parse(
  readFileSync(new URL('../../egress-warden.config.json', import.meta.url), 'utf8'),
) as ConfigInput;

/** A stack from a configuration as written, in an app with cdk-nag's AwsSolutions checks and no bundling. */
export function synthStack(input: unknown = EXAMPLE_CONFIG): EgressWardenStack {
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return new EgressWardenStack(app, parseConfig(input), {
    env: { account: '123456789012', region: 'eu-west-1' },
  });
}

/** The template of {@link synthStack}; throws when cdk-nag reports an unacknowledged finding. */
export function synthTemplate(input: unknown = EXAMPLE_CONFIG): Template {
  return Template.fromStack(synthStack(input));
}
