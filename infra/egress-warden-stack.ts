/** The stack of the ready app: one EgressWarden construct, named and placed by the configuration. */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { WardenConfig } from '#shared/config/config';
import { EgressWarden } from './egress-warden';

/** A stack holding Egress Warden, named `config.stackName`, in `config.env` when it is given. */
export class EgressWardenStack extends Stack {
  readonly warden: EgressWarden;

  constructor(scope: Construct, config: WardenConfig, props: StackProps = {}) {
    super(scope, config.stackName, {
      description: 'Egress Warden: event-driven egress blocking for VPCs',
      ...(config.env ? { env: config.env } : {}),
      ...props,
    });
    this.warden = new EgressWarden(this, 'EgressWarden', { config });
  }
}
