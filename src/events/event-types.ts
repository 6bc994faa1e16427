// Event shapes, mirroring Mnesia's {mnesia_table_event, ...}, {mnesia_activity_event, ...}
// and {mnesia_system_event, ...} messages.
import type { Key } from "../keys/index.js";
import type { ActivityId, AnyRecord } from "../types.js";

/** Simple table events: {write, Record, ActivityId}, {delete_object, Record, ActivityId}, {delete, {Tab, Key}, ActivityId}. */
export type SimpleTableEvent<T extends object = AnyRecord> =
  | {
      readonly type: "write";
      readonly table: string;
      readonly record: T;
      readonly activityId: ActivityId;
    }
  | {
      readonly type: "delete_object";
      readonly table: string;
      readonly record: T;
      readonly activityId: ActivityId;
    }
  | {
      readonly type: "delete";
      readonly table: string;
      readonly key: Key;
      readonly activityId: ActivityId;
    };

/**
 * Detailed table events: {write, Tab, Record, OldRecords, ActivityId} and
 * {delete, Tab, What, OldRecords, ActivityId}; `record` is present when a delete was a delete_object.
 */
export type DetailedTableEvent<T extends object = AnyRecord> =
  | {
      readonly type: "write";
      readonly table: string;
      readonly record: T;
      readonly oldRecords: readonly T[];
      readonly activityId: ActivityId;
    }
  | {
      readonly type: "delete";
      readonly table: string;
      readonly key: Key;
      readonly record?: T;
      readonly oldRecords: readonly T[];
      readonly activityId: ActivityId;
    };

export type ActivityEvent = { readonly type: "complete"; readonly activityId: ActivityId };

export type SystemEvent =
  | { readonly type: "mnesia_up"; readonly node: string }
  | { readonly type: "mnesia_down"; readonly node: string }
  | { readonly type: "mnesia_user"; readonly event: unknown }
  | { readonly type: "mnesia_checkpoint_activated"; readonly checkpoint: string }
  | { readonly type: "mnesia_checkpoint_deactivated"; readonly checkpoint: string }
  | { readonly type: "mnesia_overload"; readonly details: unknown }
  /** Mneme's own: a subscriber that left `maxBuffered` events unread was dropped. */
  | {
      readonly type: "subscription_dropped";
      readonly category: string;
      readonly reason: "overflow";
      readonly maxBuffered: number;
    }
  /**
   * Mneme's own: how an upgrade (db.upgrade) ended. "rolled_back": it failed after its point of no
   * return, the database was closed, and its fallback restores version `from` at the next open.
   */
  | {
      readonly type: "mneme_upgrade";
      readonly direction: "up" | "down";
      readonly from: number;
      readonly to: number;
      readonly outcome: "success" | "aborted" | "rolled_back";
      readonly failedInstruction?: string;
      readonly error?: string;
    }
  | {
      readonly type: "mnesia_info" | "mnesia_error" | "mnesia_fatal";
      readonly message: string;
      readonly details?: unknown;
    };

/** What to subscribe to: mnesia:subscribe/1's EventCategory. */
export type EventCategory =
  | "system"
  | "activity"
  | { readonly table: string | { readonly name: string }; readonly mode?: "simple" | "detailed" };

/** Options of subscribe. */
export interface SubscribeOptions {
  /**
   * How many events may wait unread for the subscription's iterator (default 10,000). One more
   * drops the subscription: the iterator yields the buffered events, then throws
   * SubscriptionOverflowError, and system subscribers get `subscription_dropped`. A
   * callback-only subscription that is never iterated buffers nothing.
   */
  readonly maxBuffered?: number;
}

/** The event type delivered for a category. */
export type EventFor<C> = C extends "system"
  ? SystemEvent
  : C extends "activity"
    ? ActivityEvent
    : C extends { readonly table: { readonly __record?: infer T }; readonly mode: "detailed" }
      ? DetailedTableEvent<T extends object ? T : AnyRecord>
      : C extends { readonly table: { readonly __record?: infer T } }
        ? SimpleTableEvent<T extends object ? T : AnyRecord>
        : C extends { readonly mode: "detailed" }
          ? DetailedTableEvent
          : SimpleTableEvent;
