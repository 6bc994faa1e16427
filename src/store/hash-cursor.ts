// O(1) next() over a Map during a sequential traversal: Map iterators survive mutation,
// so the iterator that produced the last key is kept and resumed.
export class HashCursor<MK, V> {
  private lastId: MK | undefined;
  private iterator: Iterator<[MK, V]> | undefined;

  constructor(private readonly map: Map<MK, V>) {}

  /** The entry after the one with id `id`, or undefined at the end or if `id` is absent. */
  after(id: MK): [MK, V] | undefined {
    let it = this.iterator;
    if (it === undefined || this.lastId !== id || !this.map.has(id)) {
      it = this.seek(id);
      if (it === undefined) return undefined;
    }
    const step = it.next();
    if (step.done) {
      this.iterator = undefined;
      return undefined;
    }
    this.iterator = it;
    this.lastId = step.value[0];
    return step.value;
  }

  /**
   * To be called when the entry `id` is removed. Were it re-added, it would move to the end of the
   * Map while a cached iterator would still resume from its old place.
   */
  forget(id: MK): void {
    if (id === this.lastId) this.reset();
  }

  /** Forgets the cached position (after clear()). */
  reset(): void {
    this.iterator = undefined;
    this.lastId = undefined;
  }

  private seek(id: MK): Iterator<[MK, V]> | undefined {
    const it = this.map.entries();
    for (let step = it.next(); !step.done; step = it.next()) {
      if (step.value[0] === id) return it;
    }
    return undefined;
  }
}
