import { describe, expect, it } from 'vitest';
import { DynamoDbDomainBaselineStore } from '#adapters/aws/domain-baseline';
import { deltasOf } from '../../contracts/domain-baseline.contract';
import { useTestDeployment, VPC_ID } from '../deployment-fixture';

const lab = useTestDeployment();

const DAY = 86_400_000;
const HOSTS = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5'];
const WEEK = Array.from({ length: 7 }, (_, i) => i * DAY);

/** Records, on `tableName`, a baseline in which `established` meet the default thresholds and one does not. */
async function recordBaseline(tableName: string, established: readonly string[]): Promise<void> {
  const store = new DynamoDbDomainBaselineStore({ client: lab.dynalite.doc, tableName });
  await store.record(
    deltasOf(VPC_ID, {
      ...Object.fromEntries(established.map((domain) => [domain, [HOSTS, WEEK]])),
      'four-hosts.example': [HOSTS.slice(0, 4), WEEK],
    }),
  );
}

describe('egress-warden baseline-export', () => {
  it("reads the stack's decision table when --table is not given", async () => {
    // Prepare
    await recordBaseline(lab.deployment.tableName, ['github.com', 'pypi.org']);

    // Act
    const run = await lab.deployment.cli('baseline-export', '--vpc', VPC_ID);

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')).toEqual(['github.com', 'pypi.org']);
  });

  it('reads the table --table names instead', async () => {
    // Prepare: the stack's table holds one baseline, another table a different one.
    await recordBaseline(lab.deployment.tableName, ['github.com']);
    const other = await lab.dynalite.createTable();
    await recordBaseline(other, ['npmjs.org']);

    // Act
    const run = await lab.deployment.cli('baseline-export', '--table', other, '--vpc', VPC_ID, '--json');

    // Assess
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(['npmjs.org']);
  });

  it('says what stops it when the stack cannot be found, and --table is not given (exit 4)', async () => {
    // Prepare
    lab.deployment.stackMissing();

    // Act
    const run = await lab.deployment.cli('baseline-export', '--vpc', VPC_ID);

    // Assess
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('Stack with id EgressWarden does not exist');
    expect(run.stderr).toContain('--stack / EGRESS_WARDEN_STACK and --region');
  });

  it('refuses a --vpc that is not a VPC id as bad usage, naming the option and the value', async () => {
    // Act
    const run = await lab.deployment.cli('baseline-export', '--vpc', 'my-vpc');

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("option '--vpc <id>' argument 'my-vpc' is invalid");
    expect(run.stderr).toContain('"my-vpc" is not a VPC id');
  });
});
