// sorted-btree is CommonJS with `exports.default`; under Node's ESM loader the default import is the
// whole exports object, so the class is its `default`. Under a bundler it may be the class itself.
import btreeModule from "sorted-btree";

type BTreeClass = typeof btreeModule.default;
const mod = btreeModule as unknown as BTreeClass | { default: BTreeClass };
export const BTree: BTreeClass = typeof mod === "function" ? mod : mod.default;
export type BTree<K, V> = btreeModule.default<K, V>;
