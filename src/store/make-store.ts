import type { TableType } from "../types.js";
import { BagStore } from "./bag-store.js";
import { OrderedStore } from "./ordered-store.js";
import { SetStore } from "./set-store.js";
import type { TableStore } from "./store.js";

export function makeRamStore(type: TableType, keyAttr: string): TableStore {
  switch (type) {
    case "set":
      return new SetStore(keyAttr);
    case "bag":
      return new BagStore(keyAttr);
    case "ordered_set":
      return new OrderedStore();
  }
}
