// SNMP ordering of tables (mnesia:snmp_open_table/2): every key maps to an SNMP row index (an OID
// suffix, a list of integers), and rows are ordered lexicographically by that index.
//   integer     -> [n]
//   string      -> [length, c1, c2, ...]   (variable-length string: length prefix)
//   fix_string  -> [c1, c2, ...]           (fixed-length string: no prefix)
//   a tuple of types -> the concatenation, for a key that is an array of that many parts.
// Strings may be JS strings (code points) or arrays of integers (Erlang strings).
import type { Key } from "../keys/index.js";
import type { LiveTable } from "../schema/live-table.js";
import type { SnmpKeyType, SnmpStruct } from "../types.js";
import { BTree } from "./btree.js";
import type { Rec } from "./store.js";

export type RowIndex = readonly number[];

function compareOids(a: RowIndex, b: RowIndex): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return a.length - b.length;
}

function stringCodes(part: unknown): number[] | undefined {
  if (typeof part === "string") return Array.from(part, (c) => c.codePointAt(0)!);
  if (Array.isArray(part) && part.every((c) => Number.isInteger(c) && c >= 0))
    return part as number[];
  return undefined;
}

function partToOid(type: SnmpKeyType, part: unknown): number[] | undefined {
  if (type === "integer") {
    // 1 and 1n are the same key: a bigint in the safe range is the same row.
    if (
      typeof part === "bigint" &&
      part >= Number.MIN_SAFE_INTEGER &&
      part <= Number.MAX_SAFE_INTEGER
    )
      return [Number(part)];
    return Number.isInteger(part) ? [part as number] : undefined;
  }
  const codes = stringCodes(part);
  if (codes === undefined) return undefined;
  return type === "string" ? [codes.length, ...codes] : codes;
}

/** The row index of a key, or undefined if the key does not fit the SNMP struct. */
export function keyToOid(struct: SnmpStruct, key: unknown): number[] | undefined {
  if (typeof struct.key === "string") return partToOid(struct.key, key);
  const types = struct.key;
  if (!Array.isArray(key) || key.length !== types.length) return undefined;
  const out: number[] = [];
  for (let i = 0; i < types.length; i++) {
    const p = partToOid(types[i]!, key[i]);
    if (p === undefined) return undefined;
    out.push(...p);
  }
  return out;
}

interface Ordering {
  readonly struct: SnmpStruct;
  readonly tree: BTree<RowIndex, Key>;
}

export class SnmpOrdering {
  private readonly tables = new Map<string, Ordering>();

  isOpen(table: string): boolean {
    return this.tables.has(table);
  }

  open(t: LiveTable, struct: SnmpStruct): void {
    const tree = new BTree<RowIndex, Key>(undefined, compareOids);
    for (const key of t.store.keys()) {
      const oid = keyToOid(struct, key);
      if (oid !== undefined) tree.set(oid, key);
    }
    this.tables.set(t.name, { struct, tree });
  }

  close(table: string): void {
    this.tables.delete(table);
  }

  update(t: LiveTable, key: Key, before: readonly Rec[], after: readonly Rec[]): void {
    const o = this.tables.get(t.name);
    if (o === undefined) return;
    const oid = keyToOid(o.struct, key);
    if (oid === undefined) return;
    if (after.length > 0) o.tree.set(oid, key);
    else if (before.length > 0) o.tree.delete(oid);
  }

  /** The Mnesia key of a row index, or undefined. */
  keyOf(table: string, row: RowIndex): Key | undefined {
    return this.tables.get(table)?.tree.get(row);
  }

  /** The row index after `row` in lexicographic order ([] gives the first), or undefined at the end. */
  nextIndex(table: string, row: RowIndex): RowIndex | undefined {
    const o = this.tables.get(table);
    if (o === undefined) return undefined;
    return row.length === 0 ? o.tree.minKey() : o.tree.nextHigherKey(row);
  }
}
