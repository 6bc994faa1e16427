// Exact comparison of numbers and bigints as mathematical values, without allocating on the
// common paths.

/** The largest bigint magnitude allowed in a key: every such bigint rounds to a finite double. */
export const MAX_KEY_BIGINT = BigInt(Number.MAX_VALUE);

/** Every bigint within ±2^53 is exactly a double. */
export const SAFE_BIG = 2n ** 53n;

/** The double equal to `b`, or undefined when `b` is not exactly representable. */
export function exactDouble(b: bigint): number | undefined {
  if (b >= -SAFE_BIG && b <= SAFE_BIG) return Number(b);
  const d = Number(b);
  // Beyond 2^53 only some integers are doubles; check the round trip (rare path, allocates).
  return Number.isFinite(d) && BigInt(d) === b ? d : undefined;
}

/** Doubles by value; NaN sorts below every number and equals itself (only values hold NaN). */
export function compareDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  return 1;
}

/** A double against a bigint, exactly. */
export function compareNumberBigint(n: number, b: bigint): number {
  if (Number.isNaN(n)) return -1;
  // Rounding is monotonic, so a strict difference after rounding b is the exact answer.
  const d = Number(b);
  if (n < d) return -1;
  if (n > d) return 1;
  // Equal after rounding: n is ±Infinity (b is finite) or an integer, so BigInt(n) is exact.
  if (n === Infinity) return 1;
  if (n === -Infinity) return -1;
  const nb = BigInt(n);
  return nb < b ? -1 : nb > b ? 1 : 0;
}

/** Any two numeric values (number or bigint). */
export function compareNumeric(a: number | bigint, b: number | bigint): number {
  if (typeof a === "number") {
    return typeof b === "number" ? compareDoubles(a, b) : compareNumberBigint(a, b);
  }
  if (typeof b === "number") {
    const r = compareNumberBigint(b, a);
    return r === 0 ? 0 : -r;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
