// Loads the AWS SDK for the S3 backup module, once, on first use. The SDK is an optional peer
// dependency (it weighs more than the rest of Mneme and takes longer to import than all of it):
// when it is missing, the error names the packages to install.
import type * as ClientS3 from "@aws-sdk/client-s3";
import type * as LibStorage from "@aws-sdk/lib-storage";
import { NoExistsError } from "../errors.js";

export interface AwsSdk {
  readonly S3Client: typeof ClientS3.S3Client;
  readonly GetObjectCommand: typeof ClientS3.GetObjectCommand;
  readonly Upload: typeof LibStorage.Upload;
}

export const AWS_SDK_PACKAGES = ["@aws-sdk/client-s3", "@aws-sdk/lib-storage"] as const;

let loading: Promise<AwsSdk> | undefined;

function isModuleNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && "code" in e && e.code === "ERR_MODULE_NOT_FOUND";
}

async function importSdk(): Promise<AwsSdk> {
  try {
    const [clientS3, libStorage] = await Promise.all([
      import("@aws-sdk/client-s3"),
      import("@aws-sdk/lib-storage"),
    ]);
    return {
      S3Client: clientS3.S3Client,
      GetObjectCommand: clientS3.GetObjectCommand,
      Upload: libStorage.Upload,
    };
  } catch (e) {
    if (!isModuleNotFound(e)) throw e;
    throw new NoExistsError(
      `the S3 backup module needs the AWS SDK, which is an optional peer dependency of mneme: run \`npm install ${AWS_SDK_PACKAGES.join(" ")}\``,
      { value: AWS_SDK_PACKAGES.join(" ") },
    );
  }
}

/** The SDK's classes the S3 backup module uses; NoExistsError naming the packages when missing. */
export function loadAwsSdk(): Promise<AwsSdk> {
  loading ??= importSdk().catch((e: unknown) => {
    loading = undefined; // installed later in a long-running process: try again next time
    throw e;
  });
  return loading;
}
