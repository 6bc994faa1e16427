// Caches compiled specs twice over: by the identity of the spec object (a WeakMap, so a spec
// kept in a variable costs one lookup from its second compilation on), and by a key equal for
// equal specs (a bounded LRU Map, so an equal spec built afresh for each query is not
// recompiled). Both are per table shape. A spec object is treated as immutable once compiled,
// like an Erlang term. The key is the spec's stableText (JSON) unless the caller gives a
// cheaper one: match specs and patterns use their compiled shape and their constants (SpecKey),
// which their parse gives anyway.
//
// Below those, generated code is cached by shape (ShapeCache): specs that differ only in the
// values of their constants share the code and the plans of their analyses.

import {
  attributesRead,
  boundSlots,
  type KeyPlan,
  keyPlan,
  returnsRecordsOf,
} from "./ms-analysis.js";
import type { Clause } from "./ms-ast.js";
import { type Bind, type GenerateOptions, generate } from "./ms-codegen.js";
import type { ParsedSpec, TableShape } from "./ms-parse.js";
import { isPlainObject } from "./terms.js";

/** Thrown inside the replacer for values that have no faithful text; such specs skip the key cache. */
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

// --- keys --------------------------------------------------------------------------------------

/** Identifies an input in the caches behind the object caches: equal keys, equal inputs. */
export interface CacheKey {
  /** A 30-bit hash; equal keys have equal hashes. */
  readonly hash: number;
  equals(other: CacheKey): boolean;
}

function mix(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193);
}

/** Strings hash by their length and at most this many first units; equals decides. */
const HASHED_UNITS = 32;

function mixString(h: number, s: string): number {
  h = mix(h, s.length);
  const n = Math.min(s.length, HASHED_UNITS);
  for (let i = 0; i < n; i++) h = mix(h, s.charCodeAt(i));
  return h;
}

/** A stableText, for inputs that are not parsed match specs or patterns. */
class TextKey implements CacheKey {
  readonly hash: number;

  constructor(readonly text: string) {
    this.hash = mixString(0x811c9dc5, text) & 0x3fffffff;
  }

  equals(other: CacheKey): boolean {
    return other instanceof TextKey && other.text === this.text;
  }
}

const float = new Float64Array(1);
const floatWords = new Uint32Array(float.buffer);

/** Two constants arrays of specs of the same shape hold the same terms, told apart as stableText does. */
function sameConstants(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    // Object.is: NaN is NaN, -0 is not 0 (a result may show the difference), 1n is 1n.
    if (Object.is(x, y)) continue;
    if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
    if (stableText(x) !== stableText(y)) return false;
  }
  return true;
}

/**
 * A parsed spec: its compiled shape and its constants. Hashing numbers by their bits and
 * comparing with Object.is keeps number-to-string conversions (and V8's cache of their
 * strings, which promotes them to the old generation) off the compile path.
 */
export class SpecKey implements CacheKey {
  readonly hash: number;

  constructor(
    readonly shape: CompiledShape,
    readonly constants: readonly unknown[],
  ) {
    let h = mix(0x811c9dc5, shape.id);
    for (const c of constants) {
      switch (typeof c) {
        case "number":
          float[0] = c;
          h = mix(mix(h, floatWords[0]!), floatWords[1]!);
          break;
        case "bigint":
          float[0] = Number(c);
          h = mix(mix(h, floatWords[0]!), floatWords[1]!);
          break;
        case "string":
          h = mixString(h, c);
          break;
        case "boolean":
          h = mix(h, c ? 1 : 2);
          break;
        default:
          // null and structured constants: equals decides.
          h = mix(h, 3);
      }
    }
    this.hash = h & 0x3fffffff;
  }

  equals(other: CacheKey): boolean {
    return (
      other instanceof SpecKey &&
      other.shape === this.shape &&
      sameConstants(other.constants, this.constants)
    );
  }
}

// --- tables --------------------------------------------------------------------------------------

interface TableKey {
  readonly name: string;
  readonly attributes: readonly string[];
  readonly recordName: string | undefined;
  readonly mixedShapes: boolean | undefined;
  readonly id: number;
}

/** The cache key of each table shape object, while what compiled code depends on stays the same. */
const tableKeys = new WeakMap<TableShape, TableKey>();
/** Numbers for the texts of table shapes (kept: there are few). */
const tableIds = new Map<string, number>();

/** A number, equal for table shapes with equal names and attributes. */
function tableId(table: TableShape): number {
  const known = tableKeys.get(table);
  if (
    known !== undefined &&
    known.name === table.name &&
    known.attributes === table.attributes &&
    known.recordName === table.recordName &&
    known.mixedShapes === table.mixedShapes
  ) {
    return known.id;
  }
  const text = JSON.stringify([
    table.name,
    table.attributes,
    table.recordName ?? null,
    table.mixedShapes === true,
  ]);
  let id = tableIds.get(text);
  if (id === undefined) {
    id = tableIds.size;
    tableIds.set(text, id);
  }
  tableKeys.set(table, {
    name: table.name,
    attributes: table.attributes,
    recordName: table.recordName,
    mixedShapes: table.mixedShapes,
    id,
  });
  return id;
}

// --- LRU -----------------------------------------------------------------------------------------

interface Stamped<V> {
  readonly value: V;
  stamp: number;
}

/**
 * A bounded Map that drops the least recently used entry. A hit on an entry among the newest
 * quarter skips the reordering (it is far from eviction either way), so hot keys cost one lookup.
 */
export class Lru<K, V> {
  private readonly map = new Map<K, Stamped<V>>();
  /** Counts insertions and reorderings: an entry has at most clock - stamp newer ones. */
  private clock = 0;

  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (entry === undefined) return undefined;
    if (this.clock - entry.stamp >= this.limit >> 2) {
      this.map.delete(key);
      entry.stamp = ++this.clock;
      this.map.set(key, entry);
    }
    return entry.value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, { value, stamp: ++this.clock });
    if (this.map.size > this.limit) {
      const oldest = this.map.keys().next();
      if (oldest.done !== true) this.map.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}

// --- by spec object and by key ------------------------------------------------------------------

/** A compiled form of one spec object for one table. */
interface ObjectEntry<T> {
  readonly table: number;
  readonly compiled: T;
}

/** A compiled input under its key and table. */
interface KeyEntry<T> {
  readonly key: CacheKey;
  readonly table: number;
  readonly compiled: T;
}

/** What a compiler works out first for an input that the object caches missed. */
export interface Prepared {
  /** The input's key; undefined: none (the input is compiled afresh). */
  readonly key: CacheKey | undefined;
}

/** How many spec objects compiled once are remembered (strongly) to be caught a second time. */
const RECENT_LIMIT = 32;

export class CompileCache<T> {
  /** Spec objects compiled more than once, and their compiled forms by table id. */
  private readonly byObject = new WeakMap<object, Map<number, T>>();
  /**
   * Spec objects compiled lately. A WeakMap entry for every spec would cost more than the
   * compilation it saves when each spec is used once (V8 keeps the value of an entry whose key
   * died young until a full GC), so an object enters byObject when it comes back while in here.
   */
  private readonly recent = new Lru<object, ObjectEntry<T>>(RECENT_LIMIT);
  /** By the hash of key and table; a colliding entry is replaced (a miss, never a wrong hit). */
  private readonly byKey: Lru<number, KeyEntry<T>>;
  /**
   * With `probation`, keys seen once wait in this smaller cache and enter byKey when they come
   * back: keeping hundreds of specs that are compiled once (a loop over constants) alive makes
   * the young-generation GC copy them, which costs more than compiling them.
   */
  private readonly probation: Lru<number, KeyEntry<T>> | undefined;

  constructor(limit: number, probation = 0) {
    this.byKey = new Lru(limit);
    this.probation = probation > 0 ? new Lru(probation) : undefined;
  }

  /** The compiled form of `input` for `table`, from a cache or from `build` (which may throw). */
  get(input: unknown, table: TableShape, build: () => T): T {
    return this.lookup(input, table, textKeyOf, build);
  }

  /**
   * Like get, in two steps (module functions, so that a lookup allocates no closures):
   * `prepare` (which may throw) gives the key and runs only when the object caches miss,
   * `build` then runs only when the key caches miss too. Match specs and patterns parse once
   * in `prepare` for both.
   */
  lookup<P extends Prepared>(
    input: unknown,
    table: TableShape,
    prepare: (input: unknown, table: TableShape) => P,
    build: (prepared: P, table: TableShape) => T,
  ): T {
    const id = tableId(table);
    const holder = typeof input === "object" && input !== null ? input : undefined;
    if (holder !== undefined) {
      const perTable = this.byObject.get(holder);
      const known = perTable?.get(id);
      if (known !== undefined) return known;
      const seen = this.recent.get(holder);
      if (seen !== undefined && seen.table === id) {
        this.recent.delete(holder);
        if (perTable === undefined) this.byObject.set(holder, new Map([[id, seen.compiled]]));
        else perTable.set(id, seen.compiled);
        return seen.compiled;
      }
    }

    const prepared = prepare(input, table);
    const { key } = prepared;
    const hash = key === undefined ? 0 : mix(key.hash, id) & 0x3fffffff;
    let compiled: T | undefined;
    if (key !== undefined) {
      compiled = found(this.byKey.get(hash), key, id);
      if (compiled === undefined && this.probation !== undefined) {
        const entry = this.probation.get(hash);
        compiled = found(entry, key, id);
        if (compiled !== undefined) {
          this.probation.delete(hash);
          this.byKey.set(hash, entry!);
        }
      }
    }
    if (compiled === undefined) {
      compiled = build(prepared, table);
      if (key !== undefined) {
        (this.probation ?? this.byKey).set(hash, { key, table: id, compiled });
      }
    }
    if (holder !== undefined) this.recent.set(holder, { table: id, compiled });
    return compiled;
  }

  /** Number of entries in the key cache, probation excluded (for tests). */
  get size(): number {
    return this.byKey.size;
  }
}

function textKeyOf(input: unknown): Prepared {
  const text = stableText(input);
  return { key: text === undefined ? undefined : new TextKey(text) };
}

function found<T>(entry: KeyEntry<T> | undefined, key: CacheKey, table: number): T | undefined {
  return entry !== undefined && entry.table === table && entry.key.equals(key)
    ? entry.compiled
    : undefined;
}

// --- by shape ------------------------------------------------------------------------------------

let shapeIds = 0;

/** A parsed spec, its compiled shape and its key for CompileCache. */
export interface PreparedSpec extends Prepared {
  readonly key: SpecKey;
  readonly parsed: ParsedSpec;
  readonly shape: CompiledShape;
}

/** What specs of one shape share: their code and the plans of their analyses. */
export class CompiledShape {
  /** Unique among all shapes ever compiled. */
  readonly id = ++shapeIds;
  /** Binds the code to one spec's constants. */
  readonly bind: Bind;
  readonly returnsRecords: boolean;
  /** See attributesRead in ms-analysis.ts. */
  readonly attributesRead: readonly string[] | undefined;
  private readonly boundPlans = new Map<string, readonly number[] | undefined>();
  private readonly keyPlans = new Map<string, KeyPlan | undefined>();

  /** `template`: the clauses of one spec of the shape (only their structure and slots are used). */
  constructor(
    private readonly template: readonly Clause[],
    bind: Bind,
  ) {
    this.bind = bind;
    this.returnsRecords = returnsRecordsOf(template);
    this.attributesRead = attributesRead(template);
  }

  /** See boundSlots in ms-analysis.ts. */
  boundSlots(attribute: string): readonly number[] | undefined {
    if (!this.boundPlans.has(attribute)) {
      this.boundPlans.set(attribute, boundSlots(this.template, attribute));
    }
    return this.boundPlans.get(attribute);
  }

  /** See keyPlan in ms-analysis.ts. */
  keyPlan(keyAttribute: string): KeyPlan | undefined {
    if (!this.keyPlans.has(keyAttribute)) {
      this.keyPlans.set(keyAttribute, keyPlan(this.template, keyAttribute));
    }
    return this.keyPlans.get(keyAttribute);
  }
}

/**
 * Compiled shapes: a spec whose shape was seen before costs a lookup and a closure over its
 * constants, not a `new Function`.
 */
export class ShapeCache {
  private readonly byShape: Lru<string, CompiledShape>;

  constructor(
    limit: number,
    private readonly options: GenerateOptions,
  ) {
    this.byShape = new Lru(limit);
  }

  /** `parsed` with its compiled shape and its key: the shape and the constants. */
  prepare(parsed: ParsedSpec): PreparedSpec {
    const shape = this.get(parsed);
    return { parsed, shape, key: new SpecKey(shape, parsed.constants) };
  }

  get(parsed: ParsedSpec): CompiledShape {
    let compiled = this.byShape.get(parsed.shape);
    if (compiled === undefined) {
      compiled = new CompiledShape(parsed.clauses, generate(parsed, this.options));
      this.byShape.set(parsed.shape, compiled);
    }
    return compiled;
  }

  /** Number of shapes kept (for tests). */
  get size(): number {
    return this.byShape.size;
  }
}
