// Classification of the JavaScript values that stand for Erlang terms in match specs, and the
// validated deep copy used for literals (so later mutation of a spec cannot change compiled code).

/** A plain object (prototype Object.prototype or null): an Erlang map. */
export function isPlainObject(v: unknown): v is { readonly [k: string]: unknown } {
  if (v === null || typeof v !== "object") return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A short, safe description of a value for error messages. */
export function describe(v: unknown): string {
  if (v === undefined) return "undefined";
  if (typeof v === "bigint") return `${v}n`;
  if (typeof v === "function") return "a function";
  if (typeof v === "symbol") return "a symbol";
  if (v instanceof Uint8Array) return `a Uint8Array of ${v.byteLength} bytes`;
  if (v !== null && typeof v === "object" && !Array.isArray(v) && !isPlainObject(v)) {
    return `an instance of ${v.constructor?.name ?? "an unknown class"}`;
  }
  let text: string;
  try {
    text =
      JSON.stringify(v, (_k, x: unknown) => (typeof x === "bigint" ? `${x}n` : x)) ?? String(v);
  } catch {
    text = Array.isArray(v) ? "an array" : "an object";
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** "<what> is not a term", saying what to use instead of a Date. */
export function notATerm(what: string, v: unknown): string {
  return v instanceof Date
    ? `${what} is not a term (store and compare date.getTime() or date.toISOString())`
    : `${what} is not a term`;
}

/**
 * Copies a literal term, rejecting what is not a term (undefined, functions, class instances,
 * cycles). Arrays and objects come back frozen; Uint8Arrays are copied (they cannot be frozen).
 * Returns an error message instead of throwing so that callers can add the location.
 */
export function copyTerm(v: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  const seen = new Set<object>();
  let error = "";
  const copy = (x: unknown): unknown => {
    switch (typeof x) {
      case "number":
      case "bigint":
      case "string":
      case "boolean":
        return x;
      case "object": {
        if (x === null) return null;
        if (x instanceof Uint8Array) return x.slice();
        if (seen.has(x)) {
          error = "a literal contains a cycle";
          return undefined;
        }
        if (Array.isArray(x)) {
          seen.add(x);
          const out: unknown[] = [];
          for (let i = 0; i < x.length && error === ""; i++) out.push(copy(x[i]));
          seen.delete(x);
          return Object.freeze(out);
        }
        if (isPlainObject(x)) {
          seen.add(x);
          const out: Record<string, unknown> = {};
          for (const k of Object.keys(x)) {
            if (error !== "") break;
            Object.defineProperty(out, k, { value: copy(x[k]), enumerable: true });
          }
          seen.delete(x);
          return Object.freeze(out);
        }
        error = `${notATerm(describe(x), x)} (use numbers, bigints, strings, booleans, null, Uint8Arrays, arrays and plain objects)`;
        return undefined;
      }
      default:
        error = `${describe(x)} is not a term`;
        return undefined;
    }
  };
  const value = copy(v);
  return error === "" ? { ok: true, value } : { ok: false, error };
}
