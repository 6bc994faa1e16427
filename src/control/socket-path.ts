// Where a database's control socket lives, and the note in its directory that says so.
//
// The socket is `<dir>/control.sock`, guarded by the data directory's mode (0700 by default) and
// its own (the database's fileMode, 0600 by default). A Unix socket's path must fit in sun_path
// (108 bytes on Linux, 104 on macOS, with the final NUL), so a deep directory cannot hold it:
// then the socket goes to a private
// directory of this user under the system's temporary directory, `<tmpdir>/mneme-<uid>/` (0700,
// owned by this user, else refused), named by a hash of the data directory's real path.
//
// Either way `<dir>/CONTROL` (JSON { socket, pid }) names it, so that the CLI finds it whatever
// its own TMPDIR; the CLI connects by that absolute path (never a relative one after a chdir,
// which would move the whole process). Both are written and removed under the directory lock, so
// a socket or note found at open is a killed holder's, and is replaced.
import { createHash } from "node:crypto";
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { ControlSocketError } from "../errors.js";

export const CONTROL_FILE = "CONTROL";
const SOCKET_NAME = "control.sock";
/** Longest socket path in bytes: sun_path is 108 bytes on Linux, 104 on macOS, NUL included. */
export const MAX_SOCKET_PATH = 103;

/** What `<dir>/CONTROL` says. */
export interface ControlNote {
  readonly socket: string;
  readonly pid: number;
}

/** The socket path for the database directory whose real path is `realDir` (nothing is made). */
export function controlSocketPath(realDir: string): string {
  const inDir = path.join(realDir, SOCKET_NAME);
  if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH) return inDir;
  const hash = createHash("sha256").update(realDir).digest("hex").slice(0, 32);
  const socket = path.join(privateTmpDir(), `${hash}.sock`);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    throw new ControlSocketError(
      `no control socket path fits in ${MAX_SOCKET_PATH} bytes: ${inDir} is too long, and so is ` +
        `${socket} (set TMPDIR to a shorter directory)`,
      { value: realDir },
    );
  }
  return socket;
}

/** `<tmpdir>/mneme-<uid>`: where the sockets of deep directories go. */
function privateTmpDir(): string {
  return path.join(os.tmpdir(), `mneme-${process.getuid?.() ?? 0}`);
}

/**
 * Makes the directory of `socket` ready when it is the private one under tmpdir: created 0700 if
 * missing, and refused unless it is this user's and private.
 */
export function prepareSocketDir(socket: string): void {
  const dir = path.dirname(socket);
  if (dir !== privateTmpDir()) return;
  const uid = process.getuid?.() ?? 0;
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const st = lstatSync(dir);
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
    throw new ControlSocketError(
      `${dir} is not a private directory of this user (uid ${uid}, mode 0700), so it cannot ` +
        "hold the control socket; remove it or set TMPDIR elsewhere",
      { value: dir },
    );
  }
}

/** Removes what a killed holder left at `socket`; anything but a socket there is refused. */
export function removeStaleSocket(socket: string): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(socket);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (!st.isSocket()) {
    throw new ControlSocketError(
      `${socket} exists and is not a socket, so it cannot be the control socket; move it away`,
      { value: socket },
    );
  }
  rmSync(socket, { force: true });
}

/** Writes `<dir>/CONTROL` (through a tmp file and a rename). */
export function writeControlNote(dir: string, note: ControlNote, mode: number): void {
  const file = path.join(dir, CONTROL_FILE);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(note), { mode });
  chmodSync(tmp, mode); // exactly the database's fileMode, whatever the umask
  renameSync(tmp, file);
}

/** What `<dir>/CONTROL` says, or undefined when it is missing or unreadable. */
export function readControlNote(dir: string): ControlNote | undefined {
  try {
    const v: unknown = JSON.parse(readFileSync(path.join(dir, CONTROL_FILE), "utf8"));
    if (typeof v !== "object" || v === null) return undefined;
    const { socket, pid } = v as { socket?: unknown; pid?: unknown };
    if (typeof socket !== "string" || !path.isAbsolute(socket) || typeof pid !== "number") {
      return undefined;
    }
    return { socket, pid };
  } catch {
    return undefined;
  }
}

/**
 * Removes `<dir>/CONTROL`. The socket it names is left alone: in a copied directory it would be
 * the original's; each holder removes its own socket (see removeStaleSocket).
 */
export function removeControlNote(dir: string): void {
  rmSync(path.join(dir, CONTROL_FILE), { force: true });
}
