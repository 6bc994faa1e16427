// Caches compiled specs twice over: by the identity of the spec object (a WeakMap, so a spec
// kept in a variable costs one lookup), and by a stable text of the spec (a bounded LRU Map, so
// an equal spec built afresh for each query is not recompiled). Both are per table shape.
// A spec object is treated as immutable once compiled, like an Erlang term.

import type { TableShape } from "./ms-parse.js";
import { isPlainObject } from "./terms.js";

/** Thrown inside the replacer for values that have no faithful text; such specs skip the text cache. */
const UNCACHEABLE = Symbol("uncacheable");

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * Tags every primitive so that distinct terms never share a text: "s" strings, "b" bigints,
 * "n" numbers JSON cannot write (NaN, ±Infinity, -0), "y" binaries, "u" undefined. Reads the
 * raw value from the holder so toJSON methods (Date, Buffer) cannot disguise a value.
 */
function replacer(this: unknown, key: string, _value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  switch (typeof raw) {
    case "string":
      return `s${raw}`;
    case "number":
      return Number.isFinite(raw) && !Object.is(raw, -0) ? raw : `n${raw === 0 ? "-0" : raw}`;
    case "bigint":
      return `b${raw}`;
    case "boolean":
      return raw;
    case "undefined":
      return "u";
    case "object":
      if (raw === null || Array.isArray(raw) || isPlainObject(raw)) return raw;
      if (raw instanceof Uint8Array) return `y${hex(raw)}`;
      throw UNCACHEABLE;
    default:
      throw UNCACHEABLE;
  }
}

/** A text equal for equal specs and different for different ones, or undefined (cycles, class instances). */
export function stableText(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, replacer);
  } catch {
    return undefined;
  }
}

export class CompileCache<T> {
  private readonly byObject = new WeakMap<object, Map<string, T>>();
  private readonly byText = new Map<string, T>();

  constructor(private readonly limit: number) {}

  /** The compiled form of `input` for `table`, from a cache or from `build` (which may throw). */
  get(input: unknown, table: TableShape, build: () => T): T {
    const shape = JSON.stringify([table.name, table.attributes]);
    const holder = typeof input === "object" && input !== null ? input : undefined;
    const perTable = holder === undefined ? undefined : this.byObject.get(holder);
    const known = perTable?.get(shape);
    if (known !== undefined) return known;

    const text = stableText(input);
    const textKey = text === undefined ? undefined : `${shape}\n${text}`;
    let compiled = textKey === undefined ? undefined : this.byText.get(textKey);
    if (compiled === undefined) {
      compiled = build();
      if (textKey !== undefined) this.remember(textKey, compiled);
    } else if (textKey !== undefined) {
      // Least recently used goes first: move this hit to the end.
      this.byText.delete(textKey);
      this.byText.set(textKey, compiled);
    }
    if (holder !== undefined) {
      if (perTable === undefined) this.byObject.set(holder, new Map([[shape, compiled]]));
      else perTable.set(shape, compiled);
    }
    return compiled;
  }

  private remember(textKey: string, compiled: T): void {
    this.byText.set(textKey, compiled);
    if (this.byText.size > this.limit) {
      const oldest = this.byText.keys().next();
      if (oldest.done !== true) this.byText.delete(oldest.value);
    }
  }

  /** Number of entries in the text cache (for tests). */
  get size(): number {
    return this.byText.size;
  }
}
