// A checker for list-append histories in the manner of Jepsen's Elle (Kingsbury & Alvaro, 2020):
// transactions append unique values to lists and read whole lists. Because every append is unique
// and a list shows the order of its appends, each read reveals which transactions wrote before it,
// and the longest read of a key gives the key's version order. From that the checker builds the
// dependency graph (write-write, write-read, read-write, and real-time edges) and reports cycles
// (G0, G1c, G2, and real-time violations of strict serializability) and non-cyclic anomalies
// (G1a aborted read, G1b intermediate read, values nobody wrote, lists that disagree on order).

export type Op =
  | readonly ["append", string, number]
  | readonly ["r", string, readonly number[] | null];

export interface Txn {
  readonly id: number;
  /** ok: committed; fail: aborted (its writes must never be seen); info: outcome unknown. */
  readonly status: "ok" | "fail" | "info";
  readonly ops: readonly Op[];
  /** When the client invoked it and saw its outcome (any monotonic clock). */
  readonly invokedAt: number;
  readonly completedAt: number;
}

export type AnomalyKind =
  | "G0"
  | "G1a"
  | "G1b"
  | "G1c"
  | "G2"
  | "G-realtime"
  | "incompatible-order"
  | "garbage-read"
  | "duplicate-append"
  | "internal";

export interface Anomaly {
  readonly kind: AnomalyKind;
  readonly message: string;
  /** For cycles: the transaction ids along the cycle. */
  readonly cycle?: readonly number[];
}

type EdgeKind = "ww" | "wr" | "rw" | "rt";

interface Writer {
  readonly txn: Txn;
  /** Whether this value is the txn's last append to the key (others are intermediate). */
  readonly final: boolean;
}

/** The list a read saw, less the reading transaction's own earlier appends (checked to be there). */
function externalPrefix(
  txn: Txn,
  opIndex: number,
  key: string,
  seen: readonly number[],
  out: Anomaly[],
) {
  const own: number[] = [];
  for (let i = 0; i < opIndex; i++) {
    const op = txn.ops[i] as Op;
    if (op[0] === "append" && op[1] === key) own.push(op[2]);
  }
  const tail = seen.slice(seen.length - own.length);
  if (own.length > 0 && (tail.length !== own.length || tail.some((v, i) => v !== own[i]))) {
    out.push({
      kind: "internal",
      message: `txn ${txn.id} read ${key} = [${seen.join(",")}] without its own appends [${own.join(",")}] at the end`,
    });
    return seen;
  }
  return seen.slice(0, seen.length - own.length);
}

export function check(history: readonly Txn[]): Anomaly[] {
  const out: Anomaly[] = [];
  const writers = new Map<string, Map<number, Writer>>();
  for (const txn of history) {
    const lastAppend = new Map<string, number>();
    for (const op of txn.ops) if (op[0] === "append") lastAppend.set(op[1], op[2]);
    for (const op of txn.ops) {
      if (op[0] !== "append") continue;
      const [, key, value] = op;
      let byValue = writers.get(key);
      if (byValue === undefined) writers.set(key, (byValue = new Map()));
      if (byValue.has(value)) {
        out.push({ kind: "duplicate-append", message: `value ${value} appended to ${key} twice` });
        continue;
      }
      byValue.set(value, { txn, final: lastAppend.get(key) === value });
    }
  }

  // Version order per key: the longest committed read; every other read must be its prefix.
  const longest = new Map<string, readonly number[]>();
  const reads: { txn: Txn; key: string; seen: readonly number[] }[] = [];
  for (const txn of history) {
    if (txn.status !== "ok") continue;
    txn.ops.forEach((op, i) => {
      if (op[0] !== "r" || op[2] === null) return;
      const seen = externalPrefix(txn, i, op[1], op[2], out);
      reads.push({ txn, key: op[1], seen });
      const full = op[2];
      const best = longest.get(op[1]);
      if (best === undefined || full.length > best.length) longest.set(op[1], full);
    });
  }
  const compatible: typeof reads = [];
  for (const read of reads) {
    const { txn, key, seen } = read;
    const order = longest.get(key) ?? [];
    if (seen.some((v, i) => order[i] !== v)) {
      out.push({
        kind: "incompatible-order",
        message: `txn ${txn.id} read ${key} = [${seen.join(",")}], not a prefix of [${order.join(",")}]`,
      });
    } else {
      compatible.push(read);
    }
    for (const v of seen) {
      const w = writers.get(key)?.get(v);
      if (w === undefined) {
        out.push({
          kind: "garbage-read",
          message: `txn ${txn.id} read ${v} in ${key}, which nobody appended`,
        });
      } else if (w.txn.status === "fail") {
        out.push({
          kind: "G1a",
          message: `txn ${txn.id} read ${v} in ${key}, appended by aborted txn ${w.txn.id}`,
        });
      }
    }
    const lastSeen = seen[seen.length - 1];
    const w = lastSeen === undefined ? undefined : writers.get(key)?.get(lastSeen);
    if (w !== undefined && w.txn !== txn && !w.final) {
      out.push({
        kind: "G1b",
        message: `txn ${txn.id} read ${key} ending in ${lastSeen}, an intermediate append of txn ${w.txn.id}`,
      });
    }
  }

  // The graph over committed transactions (and unknown ones whose writes were seen).
  const edges = new Map<number, Map<number, Set<EdgeKind>>>();
  const addEdge = (from: number, to: number, kind: EdgeKind) => {
    if (from === to) return;
    let m = edges.get(from);
    if (m === undefined) edges.set(from, (m = new Map()));
    let kinds = m.get(to);
    if (kinds === undefined) m.set(to, (kinds = new Set()));
    kinds.add(kind);
  };
  const writerOf = (key: string, v: number) => writers.get(key)?.get(v)?.txn;
  for (const [key, order] of longest) {
    for (let i = 1; i < order.length; i++) {
      const a = writerOf(key, order[i - 1] as number);
      const b = writerOf(key, order[i] as number);
      if (a && b) addEdge(a.id, b.id, "ww");
    }
  }
  // Reads already reported (out of order, or mid-transaction) give no edges: their cycles would
  // only repeat the same finding.
  for (const { txn, key, seen } of compatible) {
    const order = longest.get(key) ?? [];
    const last = seen[seen.length - 1];
    const lastWriter = last === undefined ? undefined : writerOf(key, last);
    if (lastWriter) addEdge(lastWriter.id, txn.id, "wr");
    const next = order[seen.length];
    const nextWriter = next === undefined ? undefined : writerOf(key, next);
    if (nextWriter && nextWriter !== lastWriter) addEdge(txn.id, nextWriter.id, "rw");
  }
  // Real-time order through a chain of virtual nodes (negative ids), so the edge count stays
  // linear: T1 reaches T2 through the chain exactly when T1 completed before T2 was invoked.
  const done = history
    .filter((t) => t.status === "ok")
    .sort((a, b) => a.completedAt - b.completedAt);
  done.forEach((t, i) => {
    addEdge(t.id, -(i + 1), "rt");
    if (i > 0) addEdge(-i, -(i + 1), "rt");
  });
  for (const t of history) {
    if (t.status !== "ok") continue;
    let lo = 0;
    let hi = done.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((done[mid] as Txn).completedAt < t.invokedAt) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) addEdge(-lo, t.id, "rt");
  }

  // Report the smallest class of cycle first: G0 (ww), G1c (ww+wr), G2 (+rw), G-realtime (+rt).
  const classes: [AnomalyKind, ReadonlySet<EdgeKind>][] = [
    ["G0", new Set(["ww"])],
    ["G1c", new Set(["ww", "wr"])],
    ["G2", new Set(["ww", "wr", "rw"])],
    ["G-realtime", new Set(["ww", "wr", "rw", "rt"])],
  ];
  const reported = new Set<string>();
  for (const [kind, allowed] of classes) {
    for (const cycle of cycles(edges, allowed)) {
      const key = [...cycle].sort((a, b) => a - b).join(",");
      if (reported.has(key)) continue;
      reported.add(key);
      out.push({ kind, message: `${kind} cycle through txns ${cycle.join(" -> ")}`, cycle });
    }
  }
  return out;
}

/** One cycle per strongly connected component of the graph restricted to `allowed` edges. */
function cycles(
  edges: Map<number, Map<number, Set<EdgeKind>>>,
  allowed: ReadonlySet<EdgeKind>,
): number[][] {
  const next = (v: number): number[] => {
    const m = edges.get(v);
    if (m === undefined) return [];
    const out: number[] = [];
    for (const [to, kinds] of m) if ([...kinds].some((k) => allowed.has(k))) out.push(to);
    return out;
  };
  const nodes = new Set<number>();
  for (const [from, m] of edges) {
    nodes.add(from);
    for (const to of m.keys()) nodes.add(to);
  }
  // Tarjan's algorithm, iterative so long histories don't overflow the stack.
  let counter = 0;
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const sccs: number[][] = [];
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { v: number; succ: number[]; i: number }[] = [];
    const visit = (v: number) => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
      work.push({ v, succ: next(v), i: 0 });
    };
    visit(root);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { v: number; succ: number[]; i: number };
      if (frame.i < frame.succ.length) {
        const w = frame.succ[frame.i++] as number;
        if (!index.has(w)) visit(w);
        else if (onStack.has(w))
          low.set(frame.v, Math.min(low.get(frame.v) as number, index.get(w) as number));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent)
        low.set(parent.v, Math.min(low.get(parent.v) as number, low.get(frame.v) as number));
      if (low.get(frame.v) === index.get(frame.v)) {
        const scc: number[] = [];
        let w: number;
        do {
          w = stack.pop() as number;
          onStack.delete(w);
          scc.push(w);
        } while (w !== frame.v);
        if (scc.length > 1) sccs.push(scc);
      }
    }
  }
  // A cycle inside each component: BFS from a real transaction back to itself.
  return sccs.map((scc) => {
    const members = new Set(scc);
    const start = scc.find((v) => v >= 0) ?? (scc[0] as number);
    const parent = new Map<number, number>();
    const queue = [start];
    while (queue.length > 0) {
      const v = queue.shift() as number;
      for (const w of next(v)) {
        if (!members.has(w)) continue;
        if (w === start) {
          const path = [v];
          while (path[0] !== start) path.unshift(parent.get(path[0] as number) as number);
          return [...path, start].filter((x) => x >= 0);
        }
        if (!parent.has(w)) {
          parent.set(w, v);
          queue.push(w);
        }
      }
    }
    return scc.filter((x) => x >= 0);
  });
}
