// The order an upgrade's instructions run in. Insertion rules place each instruction in turn
// (append, start, before or after one placed earlier); dependencies then move instructions as
// little as possible: a stable topological sort that keeps the inserted order wherever the
// dependencies allow it. Everything wrong is found here, before anything runs.
import { UpgradeError } from "../../errors.js";
import type { Instruction, UpgradeDirection } from "../instruction.js";

function badPlan(message: string, value?: unknown): UpgradeError {
  return new UpgradeError("bad_plan", message, { value });
}

/** Checks the shape of each instruction and that names are unique. */
function checkInstructions(list: readonly Instruction[], which: string): void {
  if (!Array.isArray(list)) throw badPlan(`the plan's ${which} must be a list of instructions`);
  const seen = new Set<string>();
  for (const ins of list) {
    if (ins === null || typeof ins !== "object" || typeof ins.run !== "function") {
      throw badPlan(`${which}: every instruction needs a run function`, ins);
    }
    if (typeof ins.name !== "string" || ins.name === "") {
      throw badPlan(`${which}: every instruction needs a non-empty name`, ins);
    }
    if (seen.has(ins.name)) {
      throw badPlan(`${which}: two instructions are named ${ins.name}; names must be unique`);
    }
    seen.add(ins.name);
    const deps = ins.dependencies ?? [];
    if (!Array.isArray(deps) || deps.some((d) => typeof d !== "string")) {
      throw badPlan(`${which}: dependencies of ${ins.name} must be a list of names`, deps);
    }
  }
}

/** The list after the insertion rules, in the order they place the instructions. */
export function insertionOrder(list: readonly Instruction[]): Instruction[] {
  const out: Instruction[] = [];
  for (const ins of list) {
    const where = ins.insertWhere ?? "append";
    if (where === "append") out.push(ins);
    else if (where === "start") out.unshift(ins);
    else if (where !== null && typeof where === "object") {
      const anchor = "before" in where ? where.before : where.after;
      const at = out.findIndex((o) => o.name === anchor);
      if (at < 0) {
        const known = list.some((o) => o.name === anchor);
        throw badPlan(
          known
            ? `${ins.name} is inserted ${"before" in where ? "before" : "after"} ${anchor}, ` +
                "which comes later in the list: list it first"
            : `${ins.name} is inserted next to ${anchor}, which is not in the plan`,
          where,
        );
      }
      out.splice("before" in where ? at : at + 1, 0, ins);
    } else {
      throw badPlan(`bad insertWhere of ${ins.name}`, where);
    }
  }
  return out;
}

/**
 * The run order of a list: insertion rules, then dependencies (on an upgrade a dependency runs
 * before the instruction that names it; on a downgrade after it). A missing dependency or a cycle
 * is a bad_plan naming the instructions.
 */
export function orderInstructions(
  list: readonly Instruction[],
  direction: UpgradeDirection,
): Instruction[] {
  const which = direction === "up" ? "up" : "down";
  checkInstructions(list, which);
  const inserted = insertionOrder(list);
  const names = new Set(inserted.map((i) => i.name));
  // prerequisites: what must run before each instruction.
  const before = new Map<string, Set<string>>(inserted.map((i) => [i.name, new Set()]));
  for (const ins of inserted) {
    for (const dep of ins.dependencies ?? []) {
      if (!names.has(dep)) {
        throw badPlan(`${which}: ${ins.name} depends on ${dep}, which is not in the plan`, dep);
      }
      if (direction === "up") before.get(ins.name)!.add(dep);
      else before.get(dep)!.add(ins.name);
    }
  }
  const done = new Set<string>();
  const out: Instruction[] = [];
  while (out.length < inserted.length) {
    const next = inserted.find(
      (i) => !done.has(i.name) && [...before.get(i.name)!].every((d) => done.has(d)),
    );
    if (next === undefined) {
      const cycle = findCycle(
        inserted.filter((i) => !done.has(i.name)).map((i) => i.name),
        before,
      );
      throw badPlan(
        `${which}: the dependencies form a cycle (each runs after the next): ${cycle.join(" -> ")}`,
        cycle,
      );
    }
    done.add(next.name);
    out.push(next);
  }
  return out;
}

/** A cycle among `left` (each of which waits for another of them), as a path back to its start. */
function findCycle(left: readonly string[], before: ReadonlyMap<string, Set<string>>): string[] {
  const pending = new Set(left);
  const path: string[] = [];
  let at = left[0]!;
  while (!path.includes(at)) {
    path.push(at);
    at = [...before.get(at)!].find((d) => pending.has(d))!;
  }
  return [...path.slice(path.indexOf(at)), at];
}
