// A short readable rendering of any value for error messages. Never throws.

import { isPlainObject } from "./kinds.js";

const LIMIT = 80;

export function formatKey(k: unknown): string {
  let out: string;
  try {
    out = render(k, [], LIMIT + 1);
  } catch {
    out = "<unprintable>";
  }
  return out.length > LIMIT ? `${out.slice(0, LIMIT - 1)}…` : out;
}

/** Render `v`; stops adding members once `budget` characters are reached (the caller trims). */
function render(v: unknown, seen: object[], budget: number): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v.length > budget ? v.slice(0, budget) : v);
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "bigint":
      return `${v}n`;
    case "symbol":
      return v.toString();
    case "function":
      return v.name ? `<function ${v.name}>` : "<function>";
    case "object":
      if (v === null) return "null";
      if (v instanceof Uint8Array) return `<bytes ${v.length}>`;
      if (seen.includes(v)) return "<cycle>";
      if (Array.isArray(v)) return renderMembers(v, seen, budget, "[", "]", false);
      if (isPlainObject(v)) return renderMembers(v, seen, budget, "{", "}", true);
      return `<${constructorName(v)}>`;
    default:
      return String(v);
  }
}

function renderMembers(
  v: object,
  seen: object[],
  budget: number,
  open: string,
  close: string,
  named: boolean,
): string {
  seen.push(v);
  // Arrays by index so holes show as undefined; objects by own enumerable names.
  const names = named ? Object.keys(v) : undefined;
  const count = names ? names.length : (v as readonly unknown[]).length;
  const get = (i: number): unknown =>
    names ? (v as Record<string, unknown>)[names[i]!] : (v as readonly unknown[])[i];
  let out = open;
  for (let i = 0; i < count && out.length <= budget; i++) {
    if (i > 0) out += ",";
    if (names) out += `${JSON.stringify(names[i])}:`;
    out += render(get(i), seen, budget - out.length);
  }
  seen.pop();
  return out.length > budget ? out : out + close;
}

function constructorName(v: object): string {
  const name: unknown = (v as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? name : "object";
}
