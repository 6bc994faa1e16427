// Where a replica lives: an object store of immutable objects, named by keys under one prefix.
// `file:///path` keeps each object as a file under a directory (written to a temporary name,
// fsynced, renamed: an object is whole or absent); `s3://bucket/prefix` keeps them as S3 objects
// (the AWS SDK, an optional peer, loaded on first use). Every call is counted, so that the
// steady-state cost in LIST and PUT calls can be read from status().
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadAwsSdk } from "../backup/aws-sdk.js";
import type { S3ClientLike } from "../backup/s3-module.js";
import { BadArgError, FileError, fileError } from "../errors.js";
import { PRIVATE_MODES, setFileModeSync } from "../file-modes.js";

export interface StoreCounters {
  puts: number;
  gets: number;
  lists: number;
  deletes: number;
  bytesPut: number;
}

export interface ObjectStore {
  /** The replica's URL, as given (never holds credentials). */
  readonly url: string;
  readonly counters: StoreCounters;
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The object's bytes; undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  /** Every key under `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  close(): void;
}

/** Options for `s3://` replicas: those of the S3 backup module. */
export interface ReplicaS3Options {
  /** A custom endpoint (e.g. "http://127.0.0.1:4568" for an S3-compatible server). */
  readonly endpoint?: string;
  /** Default: AWS_REGION, else "us-east-1". */
  readonly region?: string;
  /** Path-style URLs (http://host/bucket/key), needed by most S3-compatible servers. */
  readonly forcePathStyle?: boolean;
  /** Default: the SDK's credential chain (environment, profile, ...). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** A ready `S3Client`; when given, the other options are ignored (and it is not destroyed). */
  readonly client?: S3ClientLike;
}

const newCounters = (): StoreCounters => ({ puts: 0, gets: 0, lists: 0, deletes: 0, bytesPut: 0 });

/** The store for a replica URL: `file:///dir` or `s3://bucket/prefix`; BadArgError otherwise. */
export function openStore(url: string, s3: ReplicaS3Options = {}): ObjectStore {
  if (typeof url !== "string")
    throw new BadArgError("a replica URL must be a string", { value: url });
  if (url.startsWith("file://")) {
    let dir: string;
    try {
      dir = fileURLToPath(url);
    } catch {
      throw new BadArgError(`bad replica URL ${url}: file URLs are file:///absolute/path`, {
        value: url,
      });
    }
    return new FileStore(url, dir);
  }
  const m = /^s3:\/\/([^/]+)\/?(.*)$/s.exec(url);
  if (m !== null) return new S3Store(url, m[1]!, m[2]!.replace(/\/+$/, ""), s3);
  throw new BadArgError(
    `bad replica URL ${JSON.stringify(url)}: use file:///absolute/path or s3://bucket/prefix`,
    { value: url },
  );
}

class FileStore implements ObjectStore {
  readonly counters = newCounters();
  constructor(
    readonly url: string,
    private readonly dir: string,
  ) {}

  private file(key: string): string {
    return path.join(this.dir, ...key.split("/"));
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.counters.puts++;
    const file = this.file(key);
    const tmp = `${file}.tmp`;
    try {
      await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: PRIVATE_MODES.dir });
      const fh = await fs.promises.open(tmp, "w", PRIVATE_MODES.file);
      try {
        setFileModeSync(fh.fd, PRIVATE_MODES.file);
        await fh.writeFile(bytes);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await fs.promises.rename(tmp, file);
    } catch (e) {
      await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
      throw fileError(e, file, "writing a replica object");
    }
    this.counters.bytesPut += bytes.length;
  }

  async get(key: string): Promise<Buffer | undefined> {
    this.counters.gets++;
    const file = this.file(key);
    try {
      return await fs.promises.readFile(file);
    } catch (e) {
      if ((e as { code?: unknown }).code === "ENOENT") return undefined;
      throw fileError(e, file, "reading a replica object");
    }
  }

  async list(prefix: string): Promise<string[]> {
    this.counters.lists++;
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      let ents: fs.Dirent[];
      try {
        ents = await fs.promises.readdir(path.join(this.dir, rel), { withFileTypes: true });
      } catch (e) {
        if ((e as { code?: unknown }).code === "ENOENT") return;
        throw fileError(e, path.join(this.dir, rel), "listing a replica");
      }
      for (const ent of ents) {
        const key = rel === "" ? ent.name : `${rel}/${ent.name}`;
        if (ent.isDirectory()) await walk(key);
        else if (ent.isFile() && !key.endsWith(".tmp") && key.startsWith(prefix)) out.push(key);
      }
    };
    await walk("");
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    this.counters.deletes++;
    await fs.promises.rm(this.file(key), { force: true }).catch((e: unknown) => {
      throw fileError(e, this.file(key), "deleting a replica object");
    });
  }

  close(): void {}
}

interface S3Sdk {
  client: { send(command: unknown): Promise<unknown>; destroy(): void };
  Put: new (input: object) => unknown;
  Get: new (input: object) => unknown;
  List: new (input: object) => unknown;
  Delete: new (input: object) => unknown;
}

class S3Store implements ObjectStore {
  readonly counters = newCounters();
  private sdk: Promise<S3Sdk> | undefined;

  constructor(
    readonly url: string,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly options: ReplicaS3Options,
  ) {}

  private load(): Promise<S3Sdk> {
    this.sdk ??= (async () => {
      const { S3Client } = await loadAwsSdk();
      const m = await import("@aws-sdk/client-s3");
      const o = this.options;
      const env = process.env;
      const client =
        (o.client as S3Sdk["client"] | undefined) ??
        new S3Client({
          region: o.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
          ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
          ...(o.forcePathStyle !== undefined ? { forcePathStyle: o.forcePathStyle } : {}),
          ...(o.credentials !== undefined ? { credentials: o.credentials } : {}),
          // The replicator retries on its own schedule.
          maxAttempts: 1,
        });
      return {
        client: client as S3Sdk["client"],
        Put: m.PutObjectCommand as unknown as S3Sdk["Put"],
        Get: m.GetObjectCommand as unknown as S3Sdk["Get"],
        List: m.ListObjectsV2Command as unknown as S3Sdk["List"],
        Delete: m.DeleteObjectCommand as unknown as S3Sdk["Delete"],
      };
    })();
    this.sdk.catch(() => {
      this.sdk = undefined;
    });
    return this.sdk;
  }

  private key(key: string): string {
    return this.prefix === "" ? key : `${this.prefix}/${key}`;
  }

  private failure(op: string, key: string, e: unknown): FileError {
    const name = (e as { name?: unknown } | null)?.name;
    const msg = e instanceof Error ? e.message : String(e);
    return new FileError(
      `S3 ${op} failed: ${msg}; check the endpoint, the bucket and the credentials`,
      `s3://${this.bucket}/${this.key(key)}`,
      typeof name === "string" ? name : "S3Error",
      { cause: e },
    );
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    this.counters.puts++;
    const s = await this.load();
    try {
      await s.client.send(new s.Put({ Bucket: this.bucket, Key: this.key(key), Body: bytes }));
    } catch (e) {
      throw this.failure("PutObject", key, e);
    }
    this.counters.bytesPut += bytes.length;
  }

  async get(key: string): Promise<Buffer | undefined> {
    this.counters.gets++;
    const s = await this.load();
    try {
      const r = (await s.client.send(new s.Get({ Bucket: this.bucket, Key: this.key(key) }))) as {
        Body?: { transformToByteArray(): Promise<Uint8Array> };
      };
      if (r.Body === undefined) return Buffer.alloc(0);
      const a = await r.Body.transformToByteArray();
      return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    } catch (e) {
      const name = (e as { name?: unknown } | null)?.name;
      const status = (e as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata
        ?.httpStatusCode;
      if (name === "NoSuchKey" || status === 404) return undefined;
      throw this.failure("GetObject", key, e);
    }
  }

  async list(prefix: string): Promise<string[]> {
    const s = await this.load();
    const out: string[] = [];
    const base = this.prefix === "" ? "" : `${this.prefix}/`;
    let token: string | undefined;
    do {
      this.counters.lists++;
      let r: { Contents?: { Key?: string }[]; NextContinuationToken?: string };
      try {
        r = (await s.client.send(
          new s.List({
            Bucket: this.bucket,
            Prefix: base + prefix,
            ...(token !== undefined ? { ContinuationToken: token } : {}),
          }),
        )) as typeof r;
      } catch (e) {
        throw this.failure("ListObjectsV2", prefix, e);
      }
      for (const c of r.Contents ?? []) if (c.Key !== undefined) out.push(c.Key.slice(base.length));
      token = r.NextContinuationToken;
    } while (token !== undefined);
    return out.sort();
  }

  async delete(key: string): Promise<void> {
    this.counters.deletes++;
    const s = await this.load();
    try {
      await s.client.send(new s.Delete({ Bucket: this.bucket, Key: this.key(key) }));
    } catch (e) {
      throw this.failure("DeleteObject", key, e);
    }
  }

  close(): void {
    if (this.options.client !== undefined) return;
    this.sdk?.then((s) => s.client.destroy()).catch(() => undefined);
  }
}
