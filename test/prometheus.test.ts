// mneme/prometheus: db.metrics() in a real prom-client registry, under Prometheus names.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { Registry } from "prom-client";
import { BadArgError, Mneme, TransactionAborted } from "../src/index.js";
import { registerMetrics } from "../src/prometheus.js";

interface Row {
  k: number;
  v: unknown;
}

describe("registerMetrics", () => {
  it("exposes the counters and gauges with Prometheus names after a known workload", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-prom-"));
    try {
      await Mneme.createSchema({ dir });
      const db = await Mneme.open({ dir, dumpLogWriteThreshold: 1e9 });
      const registry = new Registry();
      registerMetrics(db, registry);
      await db.createTable<Row>("t", { attributes: ["k", "v"], discCopies: [db.node] });
      db.transactionSync((tx) => tx.write<Row>("t", { k: 1, v: 1 }));
      await db.transaction(async (tx) => tx.write<Row>("t", { k: 2, v: 2 }));
      db.dirtyWrite<Row>("t", { k: 3, v: 3 });
      assert.throws(() => db.transactionSync((tx) => tx.abort("no")), TransactionAborted);
      assert.throws(() => db.transactionSync((tx) => tx.read("nope", 1)), TransactionAborted);
      await db.dumpLog();
      db.subscribe("system");
      const m = db.metrics();
      const text = await registry.metrics();
      const lines = text.split("\n");
      for (const line of [
        "# HELP mneme_commits_total Transactions committed.",
        "# TYPE mneme_commits_total counter",
        "mneme_commits_total 2",
        "# TYPE mneme_aborts_total counter",
        'mneme_aborts_total{reason="user"} 1',
        'mneme_aborts_total{reason="no_exists"} 1',
        "mneme_restarts_total 0",
        "mneme_log_writes_total 4",
        "mneme_dirty_writes_total 1",
        "mneme_lock_waits_total 0",
        "mneme_lock_wait_seconds_total 0",
        "mneme_dumps_total 1",
        `mneme_dump_bytes_total ${m.dumpBytes}`,
        `mneme_dump_seconds_total ${m.dumpMs / 1000}`,
        "mneme_dump_failures_total 0",
        "mneme_log_repairs_total 0",
        `mneme_wal_written_bytes_total ${m.walWrittenBytes}`,
        `mneme_wal_fsyncs_total ${m.walFsyncs}`,
        "# TYPE mneme_wal_bytes gauge",
        `mneme_wal_bytes ${m.walBytes}`,
        "mneme_wal_segments 1",
        "mneme_tables 1",
        "mneme_records 3",
        "mneme_subscriptions 1",
        "mneme_active_transactions 0",
        "mneme_lock_queue 0",
      ]) {
        assert.ok(lines.includes(line), `missing line: ${line}\n${text}`);
      }
      assert.ok(m.dumpBytes > 0 && m.walBytes > 0 && m.walWrittenBytes > 0);
      // Counters move between scrapes.
      db.dirtyWrite<Row>("t", { k: 4, v: 4 });
      const again = (await registry.metrics()).split("\n");
      assert.ok(again.includes("mneme_dirty_writes_total 2"));
      assert.ok(again.includes("mneme_records 4"));
      await db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("two databases need two prefixes; a clash registers nothing; unregister removes them", async () => {
    const a = await Mneme.open();
    const b = await Mneme.open({ node: "b@host" });
    const registry = new Registry();
    const unregister = registerMetrics(a, registry);
    const count = (await registry.getMetricsAsJSON()).length;
    assert.equal(count, 23);
    assert.throws(
      () => registerMetrics(b, registry),
      (e: unknown) =>
        e instanceof BadArgError &&
        e.reason === "badarg" &&
        /registerMetrics: A metric with the name mneme_commits_total has already been registered\.; give each database its own prefix/.test(
          e.message,
        ),
    );
    assert.equal((await registry.getMetricsAsJSON()).length, count);
    registerMetrics(b, registry, { prefix: "mneme_b_" });
    b.transactionSync(() => undefined);
    const text = await registry.metrics();
    assert.ok(text.includes("\nmneme_commits_total 0\n"));
    assert.ok(text.includes("\nmneme_b_commits_total 1\n"));
    unregister();
    assert.equal((await registry.getMetricsAsJSON()).length, count);
    assert.ok(!(await registry.metrics()).includes("\nmneme_commits_total"));
    await a.close();
    await b.close();
  });
});
