import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { buildProgram } from '#shared/cli/main';
import { captureContext, runCli } from './harness';

const dynamoDb = mockClient(DynamoDBDocumentClient);

afterEach(() => {
  dynamoDb.reset();
});

describe('the egress-warden program', () => {
  it('lists the commands, the global options and the exit codes with --help (exit 0)', async () => {
    // Act
    const run = await runCli(['--help']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('simulate');
    expect(run.stdout).toContain('baseline-export');
    expect(run.stdout).toContain('--stack <name>');
    expect(run.stdout).toContain('6  --wait timed out');
  });

  it('refuses an unknown command as bad usage (exit 2)', async () => {
    // Act
    const run = await runCli(['frobnicate']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'frobnicate'");
  });

  it('copies the global options into the context before the action runs', async () => {
    // Prepare
    const { ctx } = captureContext();
    const program = buildProgram(ctx);
    program.command('probe').action(() => {});

    // Act
    await program.parseAsync(['probe', '--stack', 'Prod', '--region', 'us-west-2', '--config', 'x.json'], {
      from: 'user',
    });

    // Assess
    expect(ctx.options).toEqual({ stack: 'Prod', region: 'us-west-2', config: 'x.json' });
  });

  it('prints an AWS failure with what to do next and exits with its code', async () => {
    // Prepare
    dynamoDb.on(QueryCommand).rejects(
      new DynamoDBServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: {},
        message: 'User is not authorized to perform: dynamodb:Query',
      }),
    );

    // Act
    const run = await runCli(['baseline-export', '--table', 'decisions', '--vpc', 'vpc-0a1b2c3d4e5f60718']);

    // Assess
    expect(run.code).toBe(5);
    expect(run.stderr.split('\n')).toEqual([
      'egress-warden: access denied: cannot run baseline-export (AccessDeniedException: User is not authorized to perform: dynamodb:Query)',
      "hint: your identity may not run baseline-export: attach the stack's OperatorPolicyArn (a stack output) to your role or user, or ask an administrator for the permission",
    ]);
  });

  it('prints a refusal of its own as bad usage naming the option (exit 2)', async () => {
    // Act
    const run = await runCli(['--config', '/nonexistent/sim.json', 'simulate', 'events']);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toBe('egress-warden: --config /nonexistent/sim.json: cannot read the file');
  });
});

describe('the help of every command', () => {
  it('has examples', () => {
    // Prepare
    const { ctx, stdout } = captureContext();
    const program = buildProgram(ctx);
    const commands = program.commands.flatMap((command) =>
      command.commands.length > 0 ? command.commands : [command],
    );

    // Act
    const missing = commands.filter((command) => {
      stdout.length = 0;
      command.outputHelp();
      return !stdout.join('\n').includes('\nExample');
    });

    // Assess
    expect(commands.length).toBeGreaterThanOrEqual(9);
    expect(missing.map((command) => command.name())).toEqual([]);
  });
});
