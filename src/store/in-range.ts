import { compareKeys, type Key } from "../keys/index.js";
import type { KeyBound } from "./store.js";

export function aboveLower(key: Key, lower: KeyBound | undefined): boolean {
  if (lower === undefined) return true;
  const c = compareKeys(key, lower.value);
  return c > 0 || (c === 0 && lower.inclusive);
}

export function belowUpper(key: Key, upper: KeyBound | undefined): boolean {
  if (upper === undefined) return true;
  const c = compareKeys(key, upper.value);
  return c < 0 || (c === 0 && upper.inclusive);
}
