/**
 * The in-process runs' clock: time moves only when the scenario advances it or
 * when a retrier or pacer "sleeps" (the sleep advances the clock instead of
 * waiting), so a run covers hours of monitor time in a few seconds.
 */
export class VirtualClock {
  #ms: number;

  constructor(startMs: number) {
    this.#ms = startMs;
  }

  get ms(): number {
    return this.#ms;
  }

  readonly now = (): number => this.#ms;
  readonly date = (): Date => new Date(this.#ms);

  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward (got ${ms} ms)`);
    this.#ms += ms;
  }

  /** Stands in for setTimeout-based sleeps: advances the clock and resolves at once (or rejects if aborted). */
  readonly sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    signal?.throwIfAborted();
    this.advance(Math.max(0, ms));
  };
}
