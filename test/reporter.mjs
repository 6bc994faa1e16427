// The test reporter of `npm test`: silent while tests pass, every failure in full (its test's
// path, the error with its stack and its fields, such as an assertion's actual and expected), and
// one summary line at the end. Whatever a test file writes to stdout or stderr, and the runner's
// own diagnostics (a test that left async activity behind, ...), is printed as it comes, so that
// a warning cannot hide. The exit code is the runner's (non-zero when anything failed).
//
// Plain JavaScript: Node loads a reporter before --import hooks such as tsx apply.
//
//   node --test --test-reporter=./test/reporter.mjs ...
import { relative } from "node:path";
import { inspect } from "node:util";

/** The totals the runner reports at the end, as `tests 12`, `pass 11`, ... diagnostics. */
const TOTALS = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/;

/** Errors that only say that a subtest failed: the subtest's own failure is shown instead. */
const ROLLED_UP = new Set(["subtestsFailed", "cancelledByParent"]);

/** @param {string | undefined} file */
function fileName(file) {
  return file === undefined ? "(runner)" : relative(process.cwd(), file);
}

/** @param {string} text */
function indent(text) {
  return text.replace(/^/gm, "    ");
}

/** @param {AsyncIterable<import("node:test/reporters").TestEvent>} source */
export default async function* reporter(source) {
  // Per file, the names of the tests being run, by nesting level: a failure's path.
  /** @type {Map<string, string[]>} */
  const running = new Map();
  /** @type {Map<string, number>} */
  const totals = new Map();
  /** @type {string[]} */
  const failed = [];
  let cancelled = 0;
  for await (const event of source) {
    switch (event.type) {
      case "test:start": {
        const { file, name, nesting } = event.data;
        const path = running.get(fileName(file)) ?? [];
        path.length = nesting;
        path.push(name);
        running.set(fileName(file), path);
        break;
      }
      case "test:fail": {
        const { file, name, nesting, details } = event.data;
        /** @type {Error & {failureType?: string}} */
        const error = details.error;
        if (error.failureType === "cancelledByParent") cancelled++;
        if (error.failureType !== undefined && ROLLED_UP.has(error.failureType)) break;
        const path = [...(running.get(fileName(file)) ?? []).slice(0, nesting), name];
        const title = `${fileName(file)} › ${path.join(" › ")}`;
        failed.push(title);
        // A failing test's error wraps what the test threw: show that, stack and fields.
        const thrown = error.failureType === "testCodeFailure" ? (error.cause ?? error) : error;
        const ms = Math.round(details.duration_ms);
        yield `\n✖ ${title} (${ms} ms)\n${indent(inspect(thrown, { depth: 6 }))}\n`;
        break;
      }
      case "test:stdout":
      case "test:stderr": {
        const { file, message } = event.data;
        const where = event.type === "test:stderr" ? "stderr" : "stdout";
        yield `[${fileName(file)} ${where}] ${message}${message.endsWith("\n") ? "" : "\n"}`;
        break;
      }
      case "test:diagnostic": {
        const { message, nesting } = event.data;
        const total = nesting === 0 ? TOTALS.exec(message) : null;
        if (total !== null) totals.set(total[1] ?? "", Number(total[2]));
        else yield `[diagnostic ${fileName(event.data.file)}] ${message}\n`;
        break;
      }
      default:
        break;
    }
  }
  /** @param {string} k */
  const n = (k) => totals.get(k) ?? 0;
  if (failed.length > 0) yield `\nfailed:\n${failed.map((f) => `  ✖ ${f}\n`).join("")}`;
  const seconds = (n("duration_ms") / 1000).toFixed(1);
  const others = [
    n("cancelled") > 0 || cancelled > 0 ? `${Math.max(n("cancelled"), cancelled)} cancelled` : "",
    n("todo") > 0 ? `${n("todo")} todo` : "",
  ].filter((s) => s !== "");
  const status = n("fail") > 0 || failed.length > 0 ? "FAILED" : "ok";
  // The closing line in the plain form CI reads: "word: N passed, N failed[, N skipped]".
  const skipped = n("skipped") > 0 ? `, ${n("skipped")} skipped` : "";
  yield `${status}: ${n("pass")} passed, ${n("fail")} failed${skipped}
`;
  yield `(${n("tests")} tests${others.map((s) => `, ${s}`).join("")}, ${seconds} s)
`;
}
