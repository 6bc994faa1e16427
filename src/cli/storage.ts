// Where a backup named on the command line lives: "s3://bucket/key" is an S3 object (the S3
// backup module, configured as the AWS SDK usually is: its environment variables and the
// --endpoint, --region, --path-style and --profile flags), anything else a local file.

import type { S3Client } from "@aws-sdk/client-s3";
import type { Command } from "commander";
import { loadAwsSdk } from "../backup/aws-sdk.js";
import { type BackupModule, fileBackupModule, s3BackupModule } from "../index.js";

export interface S3CliOptions {
  readonly endpoint?: string;
  readonly region?: string;
  readonly pathStyle?: boolean;
  readonly profile?: string;
}

export function isS3Url(location: string): boolean {
  return location.startsWith("s3://");
}

/**
 * Runs `fn` with the backup module for `location`; an S3 client made for it is destroyed after,
 * so the process can exit. Credentials come from the SDK's chain and are never printed.
 */
export async function withBackupModule<T>(
  location: string,
  options: S3CliOptions,
  fn: (module: BackupModule) => Promise<T>,
): Promise<T> {
  if (!isS3Url(location)) return fn(fileBackupModule);
  const env = process.env;
  // Mneme supports Node 20; the SDK's notice about its own future Node versions would be a
  // second stderr line on every S3 command (an operator can still set this to "false").
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const { S3Client } = await loadAwsSdk();
  const client: S3Client = new S3Client({
    region: options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: options.pathStyle === true || env.AWS_S3_FORCE_PATH_STYLE === "true",
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
  });
  try {
    return await fn(s3BackupModule({ client }) as BackupModule);
  } finally {
    client.destroy();
  }
}

/** The flags of a command that reads or writes "s3://bucket/key" locations. */
export function s3Flags(command: Command): Command {
  return command
    .option(
      "--endpoint <url>",
      "S3: endpoint URL (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL)",
    )
    .option(
      "--region <region>",
      "S3: region (default: $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1)",
    )
    .option("--path-style", "S3: path-style URLs, for S3-compatible servers")
    .option("--profile <name>", "S3: credentials of this AWS profile (default: the SDK's chain)");
}
