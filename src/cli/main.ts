// The mneme command line: `mneme <command> ...` (see `mneme --help`).
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import { MnemeError } from "../index.js";
import {
  backupCommand,
  dumpCommand,
  fallbackInstallCommand,
  fallbackUninstallCommand,
  infoCommand,
  initCommand,
  loadCommand,
  RESTORE_OPS,
  restoreCommand,
  tablesCommand,
  traverseCommand,
  UsageError,
} from "./commands.js";
import { addReplicaCommands } from "./replicate-commands.js";
import { type S3CliOptions, s3Flags } from "./storage.js";
import { type UpgradeCliOptions, upgradeCommand, versionCommand } from "./upgrade.js";

function list(value: string, previous: string[] | undefined): string[] {
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  return [...(previous ?? []), ...names];
}

export function buildProgram(): Command {
  const program = new Command("mneme")
    .description("Inspect, back up and restore Mneme disc databases")
    .version("0.1.0");

  program
    .command("init")
    .description("create a new, empty disc schema in <dir> (its parent must exist)")
    .argument("<dir>", "database directory to create")
    .action((dir: string) => initCommand(dir));

  program
    .command("info")
    .description("a short summary of the database in <dir>")
    .argument("<dir>", "database directory (a disc schema)")
    .action((dir: string) => infoCommand(dir));

  program
    .command("tables")
    .description("one line per table: name, type, storage type, size, attributes")
    .argument("<dir>", "database directory")
    .action((dir: string) => tablesCommand(dir));

  const backup = program
    .command("backup")
    .description("back up every table of <dir> to <file>")
    .argument("<dir>", "database directory")
    .argument("<file>", "backup file to write, - for standard output, or s3://bucket/key");
  s3Flags(backup).action((dir: string, file: string, opts: S3CliOptions) =>
    backupCommand(dir, file, opts),
  );

  const restore = program
    .command("restore")
    .description("restore tables of <dir> from the backup <file>")
    .argument("<dir>", "database directory")
    .argument("<file>", "backup file to read, or s3://bucket/key");
  s3Flags(restore)
    .addOption(
      new Option("--default-op <op>", "for tables named in no list").choices([...RESTORE_OPS]),
    )
    .option("--skip <tables>", "tables to skip (comma separated)", list)
    .option("--clear <tables>", "tables to clear and fill", list)
    .option("--keep <tables>", "tables to keep and add to", list)
    .option("--recreate <tables>", "tables to recreate from the backup", list)
    .option("--create", "create the schema in <dir> first if there is none")
    .action(
      (
        dir: string,
        file: string,
        opts: {
          defaultOp?: string;
          skip?: string[];
          clear?: string[];
          keep?: string[];
          recreate?: string[];
          create?: boolean;
        } & S3CliOptions,
      ) => restoreCommand(dir, file, opts),
    );

  program
    .command("dump")
    .description("dump every table of <dir> to the text file <textfile>")
    .argument("<dir>", "database directory")
    .argument("<textfile>", "text file to write")
    .action((dir: string, textfile: string) => dumpCommand(dir, textfile));

  program
    .command("load")
    .description("create and fill the tables of the text file <textfile> in <dir>")
    .argument("<dir>", "database directory")
    .argument("<textfile>", "text file to read")
    .option("--create", "create the schema in <dir> first if there is none")
    .action((dir: string, textfile: string, opts: { create?: boolean }) =>
      loadCommand(dir, textfile, opts),
    );

  const fallback = program.command("fallback").description("install or uninstall a fallback");
  const install = fallback
    .command("install")
    .description("check <file> and install it: it replaces the database in <dir> at its next start")
    .argument("<dir>", "database directory")
    .argument("<file>", "backup file, or s3://bucket/key");
  s3Flags(install).action((dir: string, file: string, opts: S3CliOptions) =>
    fallbackInstallCommand(dir, file, opts),
  );
  fallback
    .command("uninstall")
    .description("remove the fallback installed in <dir>")
    .argument("<dir>", "database directory")
    .action((dir: string) => fallbackUninstallCommand(dir));

  const traverse = program
    .command("traverse")
    .description("list (one JSON line per item) or count the items of a backup file")
    .argument("<file>", "backup file, or s3://bucket/key")
    .option("--count", "print only the number of items");
  s3Flags(traverse).action((file: string, opts: { count?: boolean } & S3CliOptions) =>
    traverseCommand(file, opts),
  );

  program
    .command("upgrade")
    .description("run the upgrade plan exported by <plan.js> on the database in <dir>")
    .argument("<dir>", "database directory")
    .argument(
      "<plan.js>",
      "ES module exporting the plan { from, to, up, down } (default or `plan`)",
    )
    .option("--dry-run", "only order the plan and run its checks")
    .option("--down", "run the plan's down instructions (from `to` back to `from`)")
    .action((dir: string, plan: string, opts: UpgradeCliOptions) =>
      upgradeCommand(dir, plan, opts),
    );

  program
    .command("version")
    .description("the schema version of <dir> and its upgrade history")
    .argument("<dir>", "database directory")
    .action((dir: string) => versionCommand(dir));

  addReplicaCommands(program);
  return program;
}

/** The one-line message for a failure, and its exit code. */
export function describeFailure(e: unknown): { message: string; code: number } {
  const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ").trim();
  if (e instanceof UsageError) return { message: oneLine(e.message), code: 2 };
  if (e instanceof MnemeError) {
    // A MnemeError's message starts with its reason already ("no_schema: ...").
    const text = e.message.startsWith(`${e.reason}:`) ? e.message : `${e.reason}: ${e.message}`;
    return { message: oneLine(text), code: 1 };
  }
  if (e instanceof Error) return { message: oneLine(e.message), code: 1 };
  return { message: oneLine(String(e)), code: 1 };
}

/** True when `e` (or what caused it) is a write to a closed pipe: the reader stopped (`| head`). */
export function isBrokenPipe(e: unknown): boolean {
  for (let c = e; c instanceof Error; c = c.cause) {
    if ((c as NodeJS.ErrnoException).code === "EPIPE") return true;
  }
  return false;
}

export async function main(argv: readonly string[] = process.argv): Promise<number> {
  // The reader of our output went away (`mneme dump db - | head -1`): stop quietly, as cat does.
  process.stdout.on("error", (e) => {
    if (isBrokenPipe(e)) process.exit(0);
  });
  try {
    await buildProgram().parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (isBrokenPipe(e)) return 0;
    const { message, code } = describeFailure(e);
    process.stderr.write(`mneme: ${message}\n`);
    return code;
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  process.exitCode = await main();
}
