import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEvents, MAX_EVENT_DEPTH } from '#shared/cli/load-events';
import { EVENTS_DIR } from '../support/events';

/** JSON text of an object nested `levels` deep: `{"a":{"a":…1…}}`. */
const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}{"a":1}${'}'.repeat(levels - 1)}`;

describe('loadEvents', () => {
  let scratch: string;
  let sample: string;

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'egress-warden-load-'));
    sample = await readFile(join(EVENTS_DIR, 'guardduty/c2-domain.json'), 'utf8');
  });

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  /** A fresh folder under the scratch folder. */
  const folder = () => mkdtemp(join(scratch, 'case-'));

  it('reads a folder that holds a symlink back to itself once, and reports the loop by its path', async () => {
    // Prepare
    const root = await folder();
    await writeFile(join(root, 'a-c2-domain.json'), sample);
    await mkdir(join(root, 'nested'));
    await symlink(root, join(root, 'nested', 'back-to-root'));

    // Act
    const { inputs, rejected } = await loadEvents([root]);

    // Assess
    expect(inputs.map((input) => input.name)).toEqual([join(root, 'a-c2-domain.json')]);
    expect(rejected).toEqual([
      {
        input: join(root, 'nested', 'back-to-root'),
        error: `symlink loop at ${join(root, 'nested', 'back-to-root')}: it leads back to ${root}`,
      },
    ]);
  });

  it('reports a symlink to itself as a loop and goes on with the other files', async () => {
    // Prepare
    const root = await folder();
    await symlink(join(root, 'self.json'), join(root, 'self.json'));
    await writeFile(join(root, 'z-c2-domain.json'), sample);

    // Act
    const { inputs, rejected } = await loadEvents([root]);

    // Assess
    expect(inputs.map((input) => input.name)).toEqual([join(root, 'z-c2-domain.json')]);
    expect(rejected).toEqual([
      { input: join(root, 'self.json'), error: `symlink loop at ${join(root, 'self.json')}` },
    ]);
  });

  it('reads a folder reached twice through symlinks only once', async () => {
    // Prepare
    const root = await folder();
    await mkdir(join(root, 'real'));
    await writeFile(join(root, 'real', 'c2-domain.json'), sample);
    await symlink(join(root, 'real'), join(root, 'alias'));

    // Act
    const { inputs, rejected } = await loadEvents([root]);

    // Assess
    expect(inputs.map((input) => input.name)).toEqual([join(root, 'alias', 'c2-domain.json')]);
    expect(rejected).toEqual([]);
  });

  it('reads an array of 190,000 events without running out of stack', async () => {
    // Prepare
    const file = join(await folder(), 'many.json');
    await writeFile(file, `[${Array.from({ length: 190_000 }, () => '{}').join(',')}]`);

    // Act
    const { inputs, rejected } = await loadEvents([file]);

    // Assess
    expect(inputs).toHaveLength(190_000);
    expect(inputs.at(-1)?.name).toBe(`${file}[189999]`);
    expect(rejected).toEqual([]);
  });

  it(`rejects an event nested deeper than ${MAX_EVENT_DEPTH} levels and keeps the others of its file`, async () => {
    // Prepare
    const file = join(await folder(), 'deep.json');
    await writeFile(file, `[${sample}, ${nested(100_000)}, ${nested(MAX_EVENT_DEPTH)}]`);

    // Act
    const { inputs, rejected } = await loadEvents([file]);

    // Assess
    expect(inputs.map((input) => input.name)).toEqual([`${file}[0]`, `${file}[2]`]);
    expect(rejected).toEqual([
      {
        input: `${file}[1]`,
        error: `nested deeper than ${MAX_EVENT_DEPTH} levels (EventBridge's limit for an event)`,
      },
    ]);
  });

  it('rejects a file holding one event nested 100,000 levels deep, naming the file', async () => {
    // Prepare
    const file = join(await folder(), 'deep-object.json');
    await writeFile(file, nested(100_000));

    // Act
    const { inputs, rejected } = await loadEvents([file]);

    // Assess
    expect(inputs).toEqual([]);
    expect(rejected).toEqual([
      {
        input: file,
        error: `nested deeper than ${MAX_EVENT_DEPTH} levels (EventBridge's limit for an event)`,
      },
    ]);
  });

  it('reads a file that starts with a UTF-8 byte order mark, ignoring the mark', async () => {
    // Prepare
    const file = join(await folder(), 'bom.json');
    await writeFile(file, `\uFEFF${sample}`);

    // Act
    const { inputs, rejected } = await loadEvents([file]);

    // Assess
    expect(rejected).toEqual([]);
    expect(inputs).toEqual([{ name: file, event: JSON.parse(sample) }]);
  });

  it('reports a symlink to nowhere and goes on with the other files', async () => {
    // Prepare
    const root = await folder();
    await symlink(join(root, 'missing.json'), join(root, 'a-dangling.json'));
    await writeFile(join(root, 'b-c2-domain.json'), sample);

    // Act
    const { inputs, rejected } = await loadEvents([root]);

    // Assess
    expect(inputs.map((input) => input.name)).toEqual([join(root, 'b-c2-domain.json')]);
    expect(rejected).toEqual([
      { input: join(root, 'a-dangling.json'), error: 'cannot read: the symlink leads nowhere' },
    ]);
  });
});
