// One subscriber: delivers by callback, by async iteration, or both.
// Events are handed over after the commit that caused them, never inside it.
//
// Events waiting for an iterator are bounded (`maxBuffered`): a subscriber that does not keep up is
// dropped rather than let the buffer grow without limit. Its iterator still yields the events
// buffered before the drop, then throws SubscriptionOverflowError; system subscribers are told with
// a `subscription_dropped` event. (Mnesia sends to an Erlang mailbox, which has no bound.)
import { SubscriptionOverflowError } from "../errors.js";

/**
 * A function whose parameter is checked bivariantly (as a method's), so that a subscription of
 * specific events is still a Subscription<unknown> (for unsubscribe and the event hub).
 */
type Handler<A> = { bivarianceHack(arg: A): void }["bivarianceHack"];

/** How many unread events a subscription keeps by default before it is dropped. */
export const DEFAULT_MAX_BUFFERED = 10_000;

export class Subscription<E> implements AsyncIterable<E> {
  // A queue with a moving head, so taking an event is O(1).
  private buffer: (E | undefined)[] = [];
  private head = 0;
  /** Iterations waiting for an event (only while the buffer is empty). */
  private waiting: Handler<IteratorResult<E>>[] = [];
  private closed = false;
  /** Set when the subscription was dropped for overflow: thrown once the buffer is read. */
  private overflow: SubscriptionOverflowError | undefined;
  /** Whether async iteration has begun: from then on events are kept for it, callback or not. */
  private iterated = false;

  constructor(
    readonly category: string,
    private readonly callback: Handler<E> | undefined,
    private readonly onClose: Handler<Subscription<E>>,
    /** Unread events kept for the iterator; one more drops the subscription. */
    readonly maxBuffered: number = DEFAULT_MAX_BUFFERED,
    /** Told when the subscription is dropped for overflow (emits the system event). */
    private readonly onDrop?: Handler<Subscription<E>>,
  ) {}

  get active(): boolean {
    return !this.closed;
  }

  /** Unread events buffered for the iterator. */
  get buffered(): number {
    return this.buffer.length - this.head;
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
    if (w !== undefined) {
      w({ value: event, done: false });
      return;
    }
    if (this.buffered >= this.maxBuffered) {
      this.drop();
      return;
    }
    this.buffer.push(event);
  }

  /** Stops delivery (mnesia:unsubscribe/1); pending iterations end. */
  unsubscribe(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = [];
    this.head = 0;
    for (const w of this.waiting) w({ value: undefined, done: true });
    this.waiting = [];
    this.onClose(this);
  }

  /** Ends a subscriber that fell `maxBuffered` events behind; its buffered events stay readable. */
  private drop(): void {
    this.closed = true;
    this.overflow = new SubscriptionOverflowError(
      `the subscription to ${this.category} was dropped: ${this.maxBuffered} events were waiting unread (maxBuffered); read its events faster, or subscribe with a larger maxBuffered`,
      { value: { category: this.category, maxBuffered: this.maxBuffered } },
    );
    this.onClose(this);
    this.onDrop?.(this);
  }

  private take(): E | undefined {
    if (this.head === this.buffer.length) return undefined;
    const e = this.buffer[this.head];
    this.buffer[this.head++] = undefined;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    return e;
  }

  [Symbol.asyncIterator](): AsyncIterator<E> {
    this.iterated = true;
    return {
      next: () => {
        if (this.buffered > 0) return Promise.resolve({ value: this.take() as E, done: false });
        if (this.overflow !== undefined) {
          const e = this.overflow;
          this.overflow = undefined; // thrown once; the iteration is over after it
          return Promise.reject(e);
        }
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
