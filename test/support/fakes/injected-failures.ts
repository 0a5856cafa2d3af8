/** The failures a test can inject into a fake AWS service, shared by every fake under test/support/fakes. */

/** A command class of any AWS SDK v3 client; failures are keyed by it. */
export type CommandClass = abstract new (...args: never[]) => object;

/** An error to throw, or a function that makes it when the call arrives (it may change the fake first). */
export type InjectedFailure = Error | (() => Error);

/**
 * The base of the fakes: lets a test make the next calls of a command fail, or every call until it recovers.
 * The failure is thrown before the fake reads or changes its model, as AWS refuses a call it does not run.
 */
export abstract class FakeAwsService {
  readonly #next = new Map<CommandClass, InjectedFailure[]>();
  readonly #always = new Map<CommandClass, InjectedFailure>();

  /** The next `times` calls of `command` throw `failure`; later calls behave normally again. */
  failNext(command: CommandClass, failure: InjectedFailure, times = 1): this {
    const queue = this.#next.get(command) ?? [];
    for (let i = 0; i < times; i++) queue.push(failure);
    this.#next.set(command, queue);
    return this;
  }

  /** Every call of `command` throws `failure` until `recover`. Failures queued by `failNext` come first. */
  failAlways(command: CommandClass, failure: InjectedFailure): this {
    this.#always.set(command, failure);
    return this;
  }

  /** Drops every failure injected for `command`, or for all commands when none is given. */
  recover(command?: CommandClass): this {
    if (command) {
      this.#next.delete(command);
      this.#always.delete(command);
    } else {
      this.#next.clear();
      this.#always.clear();
    }
    return this;
  }

  /** Throws the failure due for this call of `command`, if any; every handler of a fake calls it first. */
  protected throwIfInjected(command: CommandClass): void {
    const failure = this.#next.get(command)?.shift() ?? this.#always.get(command);
    if (failure) throw typeof failure === 'function' ? failure() : failure;
  }
}
