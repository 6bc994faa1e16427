// The normalised, validated definition of a table, as the schema stores it.
import type {
  AccessMode,
  SnmpStruct,
  StorageProperties,
  StorageType,
  TableType,
  UserProperty,
} from "../types.js";

export interface TableSpec {
  readonly name: string;
  readonly attributes: readonly string[];
  readonly type: TableType;
  readonly storage: StorageType;
  readonly ramCopies: readonly string[];
  readonly discCopies: readonly string[];
  readonly discOnlyCopies: readonly string[];
  /** Indexed attribute names, in the order they were added. */
  readonly index: readonly string[];
  readonly recordName: string;
  readonly accessMode: AccessMode;
  readonly loadOrder: number;
  readonly majority: boolean;
  readonly localContent: boolean;
  readonly userProperties: readonly UserProperty[];
  readonly storageProperties: StorageProperties;
  readonly snmp: SnmpStruct | null;
  /** Unique per table creation (Mnesia's cookie). */
  readonly cookie: string;
  /** Incremented at every definition change: [major, minor] as in Mnesia. */
  readonly version: readonly [number, number];
  /**
   * Set by a transformTable "ignore" that changed the attributes: the table may hold records of
   * an older shape, which patterns and match spec heads must not match (see query/ms-parse.ts).
   */
  readonly mixedShapes?: boolean;
}

/** Mnesia's tuple position of an attribute: the record name is 1, the key 2. */
export function attributePosition(spec: TableSpec, attribute: string): number {
  return spec.attributes.indexOf(attribute) + 2;
}

export function keyAttribute(spec: TableSpec): string {
  return spec.attributes[0]!;
}
