// qlc:info/1: the plan as data (every term as text) and as readable lines.
import type { Shape } from "./builder.js";
import { constText, termText } from "./eval/compile.js";
import type { Cond } from "./expr.js";
import type { Plan } from "./plan.js";

export interface ExplainGenerator {
  readonly alias: string;
  readonly source: "table" | "array" | "iterable" | "append";
  readonly table?: string;
  readonly lock?: string;
  /** key_lookup, index_lookup, traverse, array, iterable, append. */
  readonly access: string;
  /** append(): each part's plan, in the order they are read. */
  readonly parts?: readonly Explain[];
  readonly traverse?: string;
  readonly indexAttribute?: string;
  /** The constants looked up (first generator). */
  readonly values?: readonly string[];
  readonly matchSpec?: string;
  /** An ordered_set key range: "lower..upper" with ( or [ ends. */
  readonly range?: string;
  readonly nObjects?: number;
  readonly join?: {
    readonly method: string;
    readonly on?: string;
    readonly via?: string;
    readonly forced: boolean;
  };
  /** Conditions compiled into the match spec. */
  readonly pushed: readonly string[];
  /** Conditions checked in JavaScript as the row is bound. */
  readonly checked: readonly string[];
}

export interface Explain {
  readonly generators: readonly ExplainGenerator[];
  /** Opaque JavaScript filters, applied after the joins. */
  readonly filters: number;
  readonly orderBy: readonly string[];
  readonly select?: string;
  readonly distinct: boolean;
  readonly sort?: "asc" | "desc";
  readonly limit?: number;
  /** The first generator delivers the order asked for: no sort, the answers stream. */
  readonly orderFromSource: boolean;
  /** The plan as lines of text. */
  readonly text: string;
}

const OPS: Record<string, string> = { eq: "=", ne: "!=", lt: "<", le: "<=", gt: ">", ge: ">=" };

export function condText(c: Cond): string {
  switch (c.op) {
    case "and":
    case "or":
      return `(${c.args.map(condText).join(` ${c.op} `)})`;
    case "not":
      return `not ${condText(c.arg)}`;
    case "in":
      return `${termText(c.a)} in ${constText(c.values)}`;
    default:
      return `${termText(c.a)} ${OPS[c.op]} ${termText(c.b)}`;
  }
}

function shapeText(s: Shape): string {
  switch (s.kind) {
    case "term":
      return termText(s.term);
    case "tuple":
      return `[${s.items.map(shapeText).join(", ")}]`;
    case "object":
      return `{${s.keys.map((k, i) => `${k}: ${shapeText(s.items[i]!)}`).join(", ")}}`;
  }
}

function specText(spec: unknown): string {
  return JSON.stringify(spec, (_k, v) => (typeof v === "bigint" ? `${v}n` : v));
}

export function explain(plan: Plan): Explain {
  const generators = plan.gens.map((g): ExplainGenerator => {
    const a = g.access;
    const j = g.join;
    const on =
      j?.outer === undefined ? undefined : `${g.alias}.${j.attribute} = ${termText(j.outer)}`;
    return {
      alias: g.alias,
      source: g.source,
      table: g.table,
      lock: g.source === "table" ? g.lock : undefined,
      access: a.method,
      traverse: a.method === "traverse" ? a.traverse : undefined,
      indexAttribute: a.method === "index_lookup" ? a.attribute : undefined,
      values:
        (a.method === "key_lookup" || a.method === "index_lookup") && j === undefined
          ? a.values.map(constText)
          : undefined,
      matchSpec:
        a.method === "traverse" && a.matchSpec !== undefined ? specText(a.matchSpec) : undefined,
      range:
        a.method === "traverse" && a.range !== undefined
          ? `${a.range.lower === undefined ? "(-inf" : `${a.range.lower.inclusive ? "[" : "("}${constText(a.range.lower.value)}`}..${a.range.upper === undefined ? "+inf)" : `${constText(a.range.upper.value)}${a.range.upper.inclusive ? "]" : ")"}`}`
          : undefined,
      nObjects: a.method === "traverse" ? a.nObjects : undefined,
      parts: a.method === "append" ? a.parts.map(explain) : undefined,
      join: j === undefined ? undefined : { method: j.method, on, via: j.via, forced: j.forced },
      pushed: g.pushed.map(condText),
      checked: g.residual.map(condText),
    };
  });
  const data = {
    generators,
    filters: plan.filters,
    orderBy: plan.orderBy.map((k) => `${termText(k.term)}${k.desc ? " desc" : ""}`),
    select: plan.shape === undefined ? undefined : shapeText(plan.shape),
    distinct: plan.distinct,
    sort: plan.sort,
    limit: plan.limit,
    orderFromSource: plan.orderFromSource,
  };
  return { ...data, text: render(data) };
}

function render(e: Omit<Explain, "text">): string {
  const lines: string[] = [];
  e.generators.forEach((g, i) => {
    const src = g.source === "table" ? `table ${g.table} (lock ${g.lock})` : `${g.source}`;
    let how: string;
    if (g.join !== undefined) {
      const lookup =
        g.join.method === "lookup"
          ? g.join.via === "key"
            ? ", read by key"
            : `, index read on ${g.indexAttribute}`
          : "";
      how = `${g.join.method} join${g.join.on === undefined ? "" : ` on ${g.join.on}`}${lookup}${g.join.forced ? " (forced)" : ""}`;
    } else if (g.access === "key_lookup") how = `key lookup ${g.values?.join(", ")}`;
    else if (g.access === "index_lookup")
      how = `index lookup ${g.indexAttribute} = ${g.values?.join(", ")}`;
    else if (g.access === "traverse") how = `traverse (${g.traverse})`;
    else if (g.access === "append") how = `the answers of ${g.parts?.length} parts, in order`;
    else how = "all rows";
    lines.push(`${i + 1}. ${g.alias} <- ${src}: ${how}`);
    if (g.join !== undefined && g.join.method !== "lookup" && g.access === "traverse") {
      lines.push(`   inner side: traverse (${g.traverse})`);
    }
    g.parts?.forEach((part, k) => {
      lines.push(`   part ${k + 1}:`);
      for (const l of part.text.split("\n")) lines.push(`      ${l}`);
    });
    if (g.range !== undefined) lines.push(`   key range ${g.range}`);
    if (g.matchSpec !== undefined) lines.push(`   match spec ${g.matchSpec}`);
    if (g.nObjects !== undefined) lines.push(`   in chunks of ${g.nObjects}`);
    if (g.pushed.length > 0) lines.push(`   pushed down: ${g.pushed.join(", ")}`);
    if (g.checked.length > 0) lines.push(`   checked: ${g.checked.join(", ")}`);
  });
  if (e.filters > 0) lines.push(`filter: ${e.filters} JavaScript predicate(s)`);
  const fromSource = e.orderFromSource ? " (order from source, no sort)" : "";
  if (e.orderBy.length > 0) lines.push(`order by ${e.orderBy.join(", ")}${fromSource}`);
  if (e.select !== undefined) lines.push(`select ${e.select}`);
  if (e.distinct) lines.push("distinct");
  if (e.sort !== undefined) lines.push(`sort ${e.sort}${fromSource}`);
  if (e.limit !== undefined) lines.push(`limit ${e.limit}`);
  return lines.join("\n");
}
