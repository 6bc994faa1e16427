// Real nats-server processes for cluster tests and benches: a JetStream cluster on loopback ports,
// each server with its own store directory, started and stopped by the test itself. The binary
// comes from scripts/nats-server.sh (a nats-server >= 2.10 on PATH, or Debian trixie's package
// fetched into the git-ignored .cache/).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ROOT } from "../crash/child.js";

let binary: string | undefined;

/** The path of a nats-server >= 2.10, provided by the repository's own script. */
export function natsServerBinary(): string {
  binary ??= execFileSync("bash", [path.join(ROOT, "scripts/nats-server.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  return binary;
}

/** A free loopback TCP port (bound once and released, so another process could race for it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface NatsClusterOptions {
  readonly size?: number;
  /** `jetstream { sync_interval: always }` (the default, and what the docs recommend). */
  readonly syncAlways?: boolean;
}

interface ServerPorts {
  readonly client: number;
  readonly cluster: number;
  readonly monitor: number;
}

export class NatsServer {
  private proc: ChildProcess | undefined;
  private output = "";

  constructor(
    readonly name: string,
    readonly ports: ServerPorts,
    readonly storeDir: string,
    readonly configFile: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.ports.client}`;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** What the server printed (its log), for a failing test's message. */
  get log(): string {
    return this.output;
  }

  start(): void {
    if (this.running) return;
    const proc = spawn(natsServerBinary(), ["-c", this.configFile], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString("utf8")).slice(-20_000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    this.proc = proc;
  }

  /** The server's /jsz monitoring answer (JetStream state, meta cluster leader). */
  async jsz(): Promise<Record<string, unknown>> {
    const res = await fetch(`http://127.0.0.1:${this.ports.monitor}/jsz`);
    return (await res.json()) as Record<string, unknown>;
  }

  /** SIGKILL (or another signal), and wait for the process to be gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || !this.running) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(signal);
    if (signal === "SIGKILL" || signal === "SIGTERM" || signal === "SIGINT") await exited;
  }
}

export class NatsCluster {
  constructor(
    readonly servers: readonly NatsServer[],
    private readonly dir: string,
  ) {}

  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  /** Waits until every running server sees the same JetStream meta leader. */
  async waitForLeader(timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leaders = new Set<string>();
      let answered = 0;
      for (const s of this.servers.filter((x) => x.running)) {
        try {
          const jsz = await s.jsz();
          const meta = jsz.meta_cluster as { leader?: string } | undefined;
          // A lone server has no meta cluster: it leads itself once JetStream is up.
          if (meta?.leader) leaders.add(meta.leader);
          else if (this.servers.length === 1 && jsz.config !== undefined) leaders.add(s.name);
          answered++;
        } catch {
          // not listening yet
        }
      }
      const running = this.servers.filter((x) => x.running).length;
      const leader = [...leaders][0];
      // A stale answer names a server that is gone: wait for the survivors to elect another.
      const alive = this.servers.some((x) => x.running && x.name === leader);
      if (
        answered === running &&
        leaders.size === 1 &&
        alive &&
        (await this.peersCurrent(leader as string))
      ) {
        return leader as string;
      }
      if (Date.now() > deadline) {
        const logs = this.servers.map((s) => `--- ${s.name}\n${s.log.slice(-2000)}`).join("\n");
        throw new Error(`no JetStream meta leader agreed within ${timeoutMs} ms\n${logs}`);
      }
      await sleep(100);
    }
  }

  /**
   * Whether the leader knows every configured server and sees every running one as current:
   * until then, creating a replicated stream can fail with "no suitable peers for placement".
   */
  private async peersCurrent(leader: string): Promise<boolean> {
    if (this.servers.length === 1) return true;
    const server = this.servers.find((s) => s.name === leader);
    const meta = (await server?.jsz().catch(() => undefined))?.meta_cluster as
      | {
          cluster_size?: number;
          replicas?: { name: string; current?: boolean; offline?: boolean }[];
        }
      | undefined;
    if (meta === undefined || meta.cluster_size !== this.servers.length) return false;
    const others = this.servers.filter((s) => s.running && s.name !== leader);
    return others.every((s) => meta.replicas?.some((r) => r.name === s.name && !r.offline));
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.kill("SIGTERM")));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Starts `size` (default 3) clustered JetStream servers on loopback and waits for a meta leader. */
export async function startNatsCluster(options: NatsClusterOptions = {}): Promise<NatsCluster> {
  const size = options.size ?? 3;
  const syncAlways = options.syncAlways ?? true;
  const dir = mkdtempSync(path.join(os.tmpdir(), "mneme-nats-"));
  const ports: ServerPorts[] = [];
  for (let i = 0; i < size; i++) {
    ports.push({ client: await freePort(), cluster: await freePort(), monitor: await freePort() });
  }
  const servers = ports.map((p, i) => {
    const name = `n${i + 1}`;
    const storeDir = path.join(dir, name);
    mkdirSync(storeDir);
    const routes = ports
      .filter((_, j) => j !== i)
      .map((q) => `nats-route://127.0.0.1:${q.cluster}`)
      .join(", ");
    const config = [
      `server_name: ${name}`,
      `listen: 127.0.0.1:${p.client}`,
      `http: 127.0.0.1:${p.monitor}`,
      `jetstream { store_dir: "${storeDir}"${syncAlways ? ", sync_interval: always" : ""} }`,
      size > 1
        ? `cluster { name: mneme-test, listen: 127.0.0.1:${p.cluster}, routes: [${routes}] }`
        : "",
    ].join("\n");
    const configFile = path.join(dir, `${name}.conf`);
    writeFileSync(configFile, config);
    return new NatsServer(name, p, storeDir, configFile);
  });
  const cluster = new NatsCluster(servers, dir);
  for (const s of servers) s.start();
  try {
    await cluster.waitForLeader();
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
