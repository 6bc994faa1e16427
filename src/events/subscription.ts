// One subscriber: delivers by callback, by async iteration, or both.
// Events are handed over after the commit that caused them, never inside it.

/**
 * A function whose parameter is checked bivariantly (as a method's), so that a subscription of
 * specific events is still a Subscription<unknown> (for unsubscribe and the event hub).
 */
type Handler<A> = { bivarianceHack(arg: A): void }["bivarianceHack"];

export class Subscription<E> implements AsyncIterable<E> {
  private buffer: E[] = [];
  private waiting: Handler<IteratorResult<E>>[] = [];
  private closed = false;
  /** Whether async iteration has begun: from then on events are kept for it, callback or not. */
  private iterated = false;

  constructor(
    readonly category: string,
    private readonly callback: Handler<E> | undefined,
    private readonly onClose: Handler<Subscription<E>>,
  ) {}

  get active(): boolean {
    return !this.closed;
  }

  /** Called by the event hub. */
  deliver(event: E): void {
    if (this.closed) return;
    if (this.callback !== undefined) {
      try {
        this.callback(event);
      } catch (err) {
        process.emitWarning(`mneme: an event callback for ${this.category} threw: ${String(err)}`);
      }
      if (!this.iterated) return;
    }
    const w = this.waiting.shift();
    if (w !== undefined) w({ value: event, done: false });
    else this.buffer.push(event);
  }

  /** Stops delivery (mnesia:unsubscribe/1); pending iterations end. */
  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = [];
    for (const w of this.waiting) w({ value: undefined, done: true });
    this.waiting = [];
    this.onClose(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<E> {
    this.iterated = true;
    return {
      next: () => {
        const e = this.buffer.shift();
        if (e !== undefined) return Promise.resolve({ value: e, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => this.waiting.push(resolve));
      },
      return: () => {
        this.unsubscribe();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
