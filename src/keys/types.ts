// The key and value model: which JavaScript values the database accepts.

/** Allowed key types. Their total order is documented in compare.ts. */
export type Key = number | bigint | string | boolean | null | Uint8Array | readonly Key[];

/**
 * Values that may be stored in a record field: a superset of Key that adds plain objects
 * (prototype Object.prototype or null), NaN and bigints of any size.
 */
export type Value =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly Value[]
  | { readonly [k: string]: Value };

/** What mapKey/termMapKey return: a JavaScript `Map` key (SameValueZero) standing for a term. */
export type KeyId = number | string | boolean | null;
