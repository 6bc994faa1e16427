// Match specifications and match_object patterns, compiled to JavaScript functions.

export {
  type CompiledMatchSpec,
  compileMatchSpec,
  type KeyBound,
  type KeyRange,
  NO_MATCH,
  type TableShape,
} from "./matchspec.js";
export { type CompiledPattern, compilePattern } from "./pattern.js";
