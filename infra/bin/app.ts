/**
 * The ready CDK app: reads the configuration file (EGRESS_WARDEN_CONFIG_FILE, or egress-warden.config.json),
 * fails synth naming the field when it is wrong, and runs cdk-nag's AwsSolutions checks on every synth.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configFilePath, readConfigFile } from '../config-file';
import { EgressWardenStack } from '../egress-warden-stack';

const config = readConfigFile(configFilePath(process.env));
const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
new EgressWardenStack(app, config);
app.synth();
