// Values that are promises only when they have to be: a synchronous activity evaluates a query
// without a single promise, an async transaction awaits only the operations that wait for locks.
export type MP<X> = X | Promise<X>;

export function then<X, Y>(x: MP<X>, f: (x: X) => MP<Y>): MP<Y> {
  return x instanceof Promise ? x.then(f) : f(x);
}

/** Runs step(i) for i in [from, n), awaiting only the steps that return a promise. */
export function loop(from: number, n: number, step: (i: number) => MP<void>): MP<void> {
  for (let i = from; i < n; i++) {
    const r = step(i);
    if (r instanceof Promise) return rest(r, i + 1, n, step);
  }
}

/** The rest of a loop once a step waited: one async frame, not a chain of nested promises. */
async function rest(
  first: Promise<void>,
  from: number,
  n: number,
  step: (i: number) => MP<void>,
): Promise<void> {
  await first;
  for (let i = from; i < n; i++) {
    const r = step(i);
    if (r instanceof Promise) await r;
  }
}
