// Compile-time tests of the upgrade types (see api.test-d.ts): each `@ts-expect-error` line is a
// mistake the compiler must refuse. The functions are never called.
import {
  type Instruction,
  type Mneme,
  type UpgradePlan,
  type UpgradeRecord,
  upgradeStep,
} from "../../src/index.js";

interface V0 {
  id: number;
  name: string;
}
interface V1 {
  id: number;
  name: string;
  email: string;
}

export async function plans(db: Mneme) {
  // A transform's new attributes are V1's, key first.
  upgradeStep.transformTable<V1, V0>("t", (r) => ({ ...r, email: "" }), ["id", "name", "email"]);
  // @ts-expect-error: an attribute of V1 is missing
  upgradeStep.transformTable<V1, V0>("t", (r) => ({ ...r, email: "" }), ["id", "name"]);
  // @ts-expect-error: the function must return a V1
  upgradeStep.transformTable<V1, V0>("t", (r) => ({ ...r }), ["id", "name", "email"]);

  // arguments and run agree on the argument list.
  const typed: Instruction<[number]> = {
    name: "typed",
    arguments: (plan) => [plan.to],
    run: ([to], ctx) => ctx.log(`to ${to.toFixed(0)}`),
  };
  const wrongArgs: Instruction<[number]> = {
    name: "wrong",
    // @ts-expect-error: arguments must return [number]
    arguments: () => ["x"],
    run: () => {},
  };
  // @ts-expect-error: insertWhere is "append", "start", { before } or { after }
  const badWhere: Instruction = { name: "b", insertWhere: "end", run: () => {} };

  const plan: UpgradePlan = { from: 0, to: 1, up: [typed, wrongArgs, badWhere] };
  const res = await db.upgrade(plan, { dryRun: true });
  const names: readonly string[] = res.instructions.map((i) => i.name);
  const history: UpgradeRecord[] = db.upgrades();
  const version: number = db.systemInfo("schema_version");
  // @ts-expect-error: direction is "up" or "down"
  await db.upgrade(plan, { direction: "sideways" });
  return [names, history, version];
}
