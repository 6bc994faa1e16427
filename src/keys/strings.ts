// String order by Unicode code point (= the order of their UTF-8 / WTF-8 bytes), where a lone
// surrogate counts as its own code point 0xD800–0xDFFF.

const isHigh = (u: number): boolean => u >= 0xd800 && u <= 0xdbff;
const isLow = (u: number): boolean => u >= 0xdc00 && u <= 0xdfff;

/**
 * Compare two strings by code point, allocation-free. A plain loop rather than native `<`,
 * because fixing up `<` needs the first differing index anyway.
 */
export function compareStrings(a: string, b: string): number {
  const la = a.length;
  const lb = b.length;
  const n = Math.min(la, lb);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // UTF-16 order is code point order unless both units are >= 0xD800 and one is a surrogate.
      if (x < 0xd800 || y < 0xd800 || (x >= 0xe000 && y >= 0xe000)) return x < y ? -1 : 1;
      return compareAtSurrogate(a, b, i);
    }
  }
  return la < lb ? -1 : la > lb ? 1 : 0;
}

/**
 * Slow path: `i` is the first differing unit and one of them is a surrogate. Plain UTF-16 order
 * is wrong both for a pair against a unit >= 0xE000 and for a pair against a lone surrogate
 * (e.g. "\uD800\uDC00" is U+10000, above the lone "\uDBFF").
 */
function compareAtSurrogate(a: string, b: string, i: number): number {
  const x = a.charCodeAt(i);
  const y = b.charCodeAt(i);
  if (i > 0 && isHigh(a.charCodeAt(i - 1))) {
    // The shared high surrogate at i-1 starts a pair in a string whose unit i is low;
    // otherwise it stands alone (a smaller code point than any pair).
    const xl = isLow(x);
    const yl = isLow(y);
    if (xl && yl) return x < y ? -1 : 1;
    if (xl) return 1;
    if (yl) return -1;
  }
  const cx = a.codePointAt(i) ?? 0;
  const cy = b.codePointAt(i) ?? 0;
  return cx < cy ? -1 : cx > cy ? 1 : 0;
}
