// Real child processes for fault tests: start a TypeScript script under tsx, watch its stdout
// lines, and SIGKILL it at a chosen moment. Shared by the crash scenario tests
// (test/crash/*.test.ts) so each scenario only says what to run and when to kill.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export interface ChildResult {
  /** Complete stdout lines (a line the kill cut short is dropped). */
  readonly lines: string[];
  readonly stderr: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Whether this helper killed the child. */
  readonly killed: boolean;
}

export interface RunChildOptions {
  /** SIGKILL this many ms after the start. */
  readonly killAfterMs?: number;
  /** SIGKILL once a stdout line satisfies this (checked line by line), after `delayMs` more. */
  readonly killOnLine?: (line: string) => boolean;
  readonly delayMs?: number;
  /** SIGKILL regardless after this long (default 60 s), and report it in stderr. */
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** The signal of killAfterMs and killOnLine (default SIGKILL; the timeout always SIGKILLs). */
  readonly signal?: NodeJS.Signals;
}

/** Runs `node --import tsx <script> ...args` from the repository root. */
export function runChild(
  script: string,
  args: readonly string[],
  options: RunChildOptions = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: options.env ?? process.env,
    });
    let out = "";
    let err = "";
    let killed = false;
    let matched = false;
    const timers: NodeJS.Timeout[] = [];
    const kill = (signal: NodeJS.Signals = options.signal ?? "SIGKILL") => {
      killed = true;
      child.kill(signal);
    };
    timers.push(
      setTimeout(() => {
        err += `\n[runChild: killed after ${options.timeoutMs ?? 60_000} ms]`;
        kill("SIGKILL");
      }, options.timeoutMs ?? 60_000),
    );
    if (options.killAfterMs !== undefined) {
      timers.push(setTimeout(() => kill(), options.killAfterMs));
    }
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (s: string) => {
      err += s;
    });
    child.stdout.on("data", (s: string) => {
      const from = out.lastIndexOf("\n") + 1;
      out += s;
      if (matched || !options.killOnLine) return;
      const fresh = out.slice(from).split("\n");
      fresh.pop(); // not complete yet
      if (fresh.some(options.killOnLine)) {
        matched = true;
        if (options.delayMs) timers.push(setTimeout(() => kill(), options.delayMs));
        else kill();
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      for (const t of timers) clearTimeout(t);
      const lines = out.split("\n");
      lines.pop();
      resolve({ lines, stderr: err, code, signal, killed });
    });
  });
}
