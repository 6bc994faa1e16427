// A backup module that stores each backup as one S3 object; `opaque` is "s3://bucket/key".
//
// The object holds exactly the bytes a backup file of the file module would (file-module.ts:
// header frame, one frame per block, trailer frame), so an object downloaded to disc is a valid
// backup file and vice versa. The frames are built here with the same encodeFrame/encodeTerm
// calls and the same constants, and read back with the file module's parseBackup.
//
// Writing buffers the encoded frames in memory (the whole backup must fit in memory); commitWrite
// appends the trailer and does a single PutObject of the complete bytes, so the key only ever
// holds an older backup or the complete new one (S3 PUTs are atomic). abortWrite just drops the
// buffer: nothing was uploaded.
//
// openRead does one GetObject, reads the whole body and verifies it before yielding anything:
// a truncated or altered object is a CorruptFileError naming "s3://bucket/key"; a missing object
// (or bucket) is a NoExistsError. Any other S3 failure is rethrown as an Error whose message names
// the operation and the object, with the SDK error as its `cause`.
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { BadArgError, NoExistsError } from "../errors.js";
import {
  blockFrame,
  decodeRecordItems,
  encodedFrame,
  headerFrame,
  type ParsedBlock,
  parseBackup,
  readResult,
  trailerFrame,
} from "./file-module.js";
import type { BackupItem, BackupModule, BackupReadResult, EncodedRecords } from "./module.js";

export interface S3BackupModuleOptions {
  /** A custom endpoint (e.g. "http://127.0.0.1:4568" for an S3-compatible server). */
  readonly endpoint?: string;
  /** Default "us-east-1". */
  readonly region?: string;
  /** Path-style URLs (http://host/bucket/key), needed by most S3-compatible servers. */
  readonly forcePathStyle?: boolean;
  /** Default: the SDK's credential chain (environment, profile, ...). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** A ready client; when given, the other options are ignored. */
  readonly client?: S3Client;
}

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
  /** "s3://bucket/key", as given. */
  readonly url: string;
}

export interface S3WriteHandle extends S3Location {
  /** @internal */ readonly state: {
    chunks: Buffer[];
    blocks: number;
    items: number;
    done: boolean;
  };
}

export interface S3ReadHandle extends S3Location {
  /** @internal */ readonly blocks: readonly ParsedBlock[];
  /** @internal */ readonly next: number;
}

const S3_URL = /^s3:\/\/([^/]+)\/(.+)$/s;

/** Parses "s3://bucket/key"; BadArgError for anything else. */
export function parseS3Url(opaque: unknown): S3Location {
  const match = typeof opaque === "string" ? S3_URL.exec(opaque) : null;
  if (match === null) {
    throw new BadArgError('an S3 backup is named by "s3://bucket/key"', { value: opaque });
  }
  return { bucket: match[1]!, key: match[2]!, url: opaque as string };
}

function errorName(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "name" in e ? String(e.name) : undefined;
}

function httpStatus(e: unknown): number | undefined {
  if (typeof e !== "object" || e === null || !("$metadata" in e)) return undefined;
  const meta = e.$metadata as { httpStatusCode?: number } | undefined;
  return meta?.httpStatusCode;
}

function s3Failure(operation: string, url: string, e: unknown): Error {
  const name = errorName(e) ?? "Error";
  const message = e instanceof Error ? e.message : String(e);
  return new Error(`S3 ${operation} of ${url} failed: ${name}: ${message}`, { cause: e });
}

function openState(handle: S3WriteHandle): S3WriteHandle["state"] {
  if (handle.state.done) {
    throw new BadArgError(`backup ${handle.url} is already committed or aborted`);
  }
  return handle.state;
}

/** A backup module storing each backup as one S3 object named by "s3://bucket/key". */
export function s3BackupModule(
  options: S3BackupModuleOptions = {},
): BackupModule<S3WriteHandle, S3ReadHandle> {
  let client = options.client;
  const s3 = (): S3Client => {
    client ??= new S3Client({
      region: options.region ?? "us-east-1",
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      ...(options.forcePathStyle !== undefined ? { forcePathStyle: options.forcePathStyle } : {}),
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    });
    return client;
  };

  return {
    async openWrite(opaque: unknown): Promise<S3WriteHandle> {
      const location = parseS3Url(opaque);
      const header = headerFrame();
      return { ...location, state: { chunks: [header], blocks: 0, items: 0, done: false } };
    },

    async write(handle: S3WriteHandle, items: readonly BackupItem[]): Promise<S3WriteHandle> {
      const state = openState(handle);
      if (!Array.isArray(items)) throw new BadArgError("items must be an array", { value: items });
      state.chunks.push(blockFrame(items));
      state.blocks += 1;
      state.items += items.length;
      return handle;
    },

    async writeEncoded(handle: S3WriteHandle, records: EncodedRecords): Promise<S3WriteHandle> {
      const state = openState(handle);
      const frame = encodedFrame(records);
      if (frame === undefined) return this.write(handle, decodeRecordItems(records));
      state.chunks.push(frame);
      state.blocks += 1;
      state.items += records.count;
      return handle;
    },

    async commitWrite(handle: S3WriteHandle): Promise<void> {
      const state = openState(handle);
      const { blocks, items } = state;
      const body = Buffer.concat([...state.chunks, trailerFrame(blocks, items)]);
      try {
        await s3().send(
          new PutObjectCommand({
            Bucket: handle.bucket,
            Key: handle.key,
            Body: body,
            ContentLength: body.length,
            ContentType: "application/octet-stream",
          }),
        );
      } catch (e) {
        throw s3Failure("PutObject", handle.url, e);
      }
      state.done = true;
      state.chunks = [];
    },

    async abortWrite(handle: S3WriteHandle): Promise<void> {
      handle.state.done = true;
      handle.state.chunks = [];
    },

    async openRead(opaque: unknown): Promise<S3ReadHandle> {
      const location = parseS3Url(opaque);
      let bytes: Buffer;
      try {
        const response = await s3().send(
          new GetObjectCommand({ Bucket: location.bucket, Key: location.key }),
        );
        if (response.Body === undefined) throw new Error("the response has no body");
        const array = await response.Body.transformToByteArray();
        bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
      } catch (e) {
        const name = errorName(e);
        if (name === "NoSuchKey" || name === "NoSuchBucket" || httpStatus(e) === 404) {
          throw new NoExistsError(`no backup object ${location.url}`, { value: location.url });
        }
        throw s3Failure("GetObject", location.url, e);
      }
      return { ...location, blocks: parseBackup(bytes, location.url), next: 0 };
    },

    async read(handle: S3ReadHandle): Promise<BackupReadResult<S3ReadHandle> | undefined> {
      const block = handle.blocks[handle.next];
      if (block === undefined) return undefined;
      return readResult({ ...handle, next: handle.next + 1 }, block);
    },

    async closeRead(_handle: S3ReadHandle): Promise<void> {},
  };
}
