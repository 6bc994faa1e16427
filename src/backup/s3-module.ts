// A backup module that stores each backup as one S3 object; `opaque` is "s3://bucket/key".
//
// The object holds exactly the bytes a backup file of the file module would (file-module.ts:
// header frame, one frame per block, trailer frame), so an object downloaded to disc is a valid
// backup file and vice versa. The frames are built here with the same encodeFrame/encodeTerm
// calls and the same constants, and read back with the file module's parseBackup.
//
// Writing streams the frames to S3 through @aws-sdk/lib-storage's Upload: a multipart upload whose
// parts (8 MiB) are sent while the backup is written, so memory holds a few parts, not the whole
// backup (a backup smaller than one part is a single PutObject). commitWrite ends the stream with
// the trailer and waits for the upload to complete; the object appears only then, so the key only
// ever holds an older backup or the complete new one. abortWrite aborts the upload: the parts
// sent are discarded and nothing appears.
//
// openRead does one GetObject, reads the whole body and verifies it before yielding anything:
// a truncated or altered object is a CorruptFileError naming "s3://bucket/key"; a missing object
// (or bucket) is a NoExistsError. Any other S3 failure is rethrown as an Error whose message names
// the operation and the object, with the SDK error as its `cause`.
//
// The AWS SDK is an optional peer dependency, loaded (aws-sdk.ts) on the first openWrite or
// openRead: importing Mneme, or creating this module, costs nothing when S3 is not used.
import { once } from "node:events";
import { PassThrough } from "node:stream";
import type { S3Client } from "@aws-sdk/client-s3";
import { BadArgError, NoExistsError } from "../errors.js";
import { loadAwsSdk } from "./aws-sdk.js";
import {
  blockFrame,
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
  /**
   * A ready `S3Client` of `@aws-sdk/client-s3`; when given, the other options are ignored.
   * Typed structurally so that Mneme's types do not need the optional SDK installed.
   */
  readonly client?: S3ClientLike;
}

/** What Mneme needs to know of an `S3Client` (`@aws-sdk/client-s3`) at compile time. */
export interface S3ClientLike {
  send(command: never, ...rest: never[]): unknown;
  destroy(): void;
}

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
  /** "s3://bucket/key", as given. */
  readonly url: string;
}

export interface S3WriteHandle extends S3Location {
  /** @internal */ readonly state: {
    readonly body: PassThrough;
    readonly upload: { abort(): Promise<void> };
    /** The upload's completion; it never rejects (see `failure`). */
    readonly uploaded: Promise<void>;
    failure: unknown;
    blocks: number;
    items: number;
    done: boolean;
  };
}

/** Bytes per part of a multipart upload (S3's minimum is 5 MiB). */
const PART_BYTES = 8 << 20;

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
  if (handle.state.failure !== undefined)
    throw s3Failure("upload", handle.url, handle.state.failure);
  return handle.state;
}

/** Hands a frame to the upload, waiting while the parts in flight are full (backpressure). */
async function put(handle: S3WriteHandle, frame: Buffer): Promise<void> {
  const state = openState(handle);
  if (!state.body.write(frame)) {
    await Promise.race([once(state.body, "drain"), state.uploaded]);
    openState(handle);
  }
}

/** A backup module storing each backup as one S3 object named by "s3://bucket/key". */
export function s3BackupModule(
  options: S3BackupModuleOptions = {},
): BackupModule<S3WriteHandle, S3ReadHandle> {
  let client = options.client as S3Client | undefined;
  const s3 = async (): Promise<S3Client> => {
    const { S3Client } = await loadAwsSdk();
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
      const client = await s3();
      const { Upload } = await loadAwsSdk();
      const body = new PassThrough({ highWaterMark: PART_BYTES });
      const upload = new Upload({
        client,
        params: {
          Bucket: location.bucket,
          Key: location.key,
          Body: body,
          ContentType: "application/octet-stream",
        },
        partSize: PART_BYTES,
        queueSize: 2,
        leavePartsOnError: false,
      });
      const state: S3WriteHandle["state"] = {
        body,
        upload,
        uploaded: upload.done().then(
          () => undefined,
          (e: unknown) => {
            state.failure = e;
          },
        ),
        failure: undefined,
        blocks: 0,
        items: 0,
        done: false,
      };
      const handle: S3WriteHandle = { ...location, state };
      await put(handle, headerFrame());
      return handle;
    },

    async write(handle: S3WriteHandle, items: readonly BackupItem[]): Promise<S3WriteHandle> {
      if (!Array.isArray(items)) throw new BadArgError("items must be an array", { value: items });
      await put(handle, blockFrame(items));
      handle.state.blocks += 1;
      handle.state.items += items.length;
      return handle;
    },

    async writeEncoded(handle: S3WriteHandle, records: EncodedRecords): Promise<S3WriteHandle> {
      await put(handle, encodedFrame(records));
      handle.state.blocks += 1;
      handle.state.items += records.count;
      return handle;
    },

    async commitWrite(handle: S3WriteHandle): Promise<void> {
      const state = openState(handle);
      state.body.end(trailerFrame(state.blocks, state.items));
      await state.uploaded;
      state.done = true;
      if (state.failure !== undefined) throw s3Failure("upload", handle.url, state.failure);
    },

    async abortWrite(handle: S3WriteHandle): Promise<void> {
      const { state } = handle;
      if (state.done) return;
      state.done = true;
      await state.upload.abort().catch(() => undefined);
      state.body.destroy();
      await state.uploaded;
    },

    async openRead(opaque: unknown): Promise<S3ReadHandle> {
      const location = parseS3Url(opaque);
      const client = await s3();
      const { GetObjectCommand } = await loadAwsSdk();
      let bytes: Buffer;
      try {
        const response = await client.send(
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
