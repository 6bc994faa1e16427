// The key and value model: validation, the total term order, the order-preserving key encoding,
// Map ids, immutable copies and readable rendering.

export { compareKeys, compareTerms, termEquals } from "./compare.js";
export { decodeKey } from "./decode.js";
export { encodeKey } from "./encode.js";
export { formatKey } from "./format.js";
export {
  AttributeProblem,
  checkedRecordBuilder,
  freezeRecord,
  freezeValue,
  isFlatRecord,
  recordBuilder,
} from "./freeze.js";
export { mapKey, termMapKey } from "./map-key.js";
export type { Key, KeyId, Value } from "./types.js";
export { isKey, isValue, keyProblem, MAX_NESTING, valueProblem } from "./validate.js";
