import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SerializedError, TestModule } from 'vitest/node';
import SummaryReporter from './summary-reporter';

type TestState = 'passed' | 'failed' | 'skipped' | 'pending';

/** A file as the reporter sees it at the end of a run: its own state and the states of its tests. */
function testFile(state: 'passed' | 'failed' | 'skipped', tests: readonly TestState[]): TestModule {
  const cases = tests.map((test) => ({ result: () => ({ state: test }) }));
  return { state: () => state, children: { allTests: () => cases.values() } } as unknown as TestModule;
}

/** The lines the reporter writes for a run. */
function summaryOf(files: readonly TestModule[], unhandledErrors: readonly SerializedError[] = []): string[] {
  const write = vi.spyOn(process.stdout, 'write').mockReturnValue(true);
  new SummaryReporter().onTestRunEnd(files, unhandledErrors);
  return write.mock.calls.map(([text]) => String(text));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('SummaryReporter', () => {
  it('ends the run with one line counting the passed and failed tests', () => {
    // Prepare
    const files = [testFile('passed', ['passed', 'passed']), testFile('failed', ['passed', 'failed'])];

    // Act
    const written = summaryOf(files);

    // Assess
    expect(written).toEqual(['\n3 passed, 1 failed\n']);
  });

  it('counts a file that fails to import as a failure', () => {
    // Prepare
    const files = [testFile('passed', ['passed']), testFile('failed', [])];

    // Act
    const written = summaryOf(files);

    // Assess
    expect(written).toEqual(['\n1 passed, 1 failed\n']);
  });

  it('counts a file whose hook threw as a failure, even when its tests passed or were skipped', () => {
    // Prepare: a failing afterAll leaves its tests passed, a failing beforeAll leaves them skipped.
    const files = [testFile('failed', ['passed']), testFile('failed', ['skipped', 'skipped'])];

    // Act
    const written = summaryOf(files);

    // Assess
    expect(written).toEqual(['\n1 passed, 2 failed, 2 skipped\n']);
  });

  it('counts an error thrown outside any test as a failure', () => {
    // Prepare
    const files = [testFile('passed', ['passed'])];
    const unhandled: SerializedError[] = [{ name: 'Error', message: 'thrown by a timer after the test' }];

    // Act
    const written = summaryOf(files, unhandled);

    // Assess
    expect(written).toEqual(['\n1 passed, 1 failed\n']);
  });
});
