// Reading the local WAL from a position on, as it grows: the replicator's view of the log. The
// WAL writes each record to the OS in one write before the commit goes on (src/wal/writer.ts), and
// this reader runs in the same process, so a record it sees is whole. Every frame's checksum is
// verified as recovery does.
import fs from "node:fs";
import { readFrame } from "../disc/frame.js";
import { CorruptFileError } from "../errors.js";
import { decodePosition, POSITION_BYTES } from "../wal/record.js";
import { listSegments, type SegmentFile } from "../wal/segment-names.js";

export interface TailEntry {
  readonly position: number;
  readonly bytes: Buffer;
  /** The modification time of the segment file, for entries written before anyone watched. */
  readonly fileTime: number;
}

export class WalTail {
  private segment: SegmentFile | undefined;
  private offset = 0;

  constructor(
    private readonly dir: string,
    /** The last position read; the next entry read is the first one after it. */
    private after: number,
  ) {}

  get position(): number {
    return this.after;
  }

  /**
   * Whether the WAL may have lost entries after `after`: it starts later (a checkpoint cut it while
   * nothing held it), so the entries between cannot be read.
   */
  hasGap(): boolean {
    const segs = listSegments(this.dir);
    const first = segs[0];
    return first !== undefined && first.first > this.after + 1 && this.segment === undefined;
  }

  /** The entries after the last one read, up to `limitBytes` (at least one), in order. */
  read(limitBytes = 16 << 20): TailEntry[] {
    const out: TailEntry[] = [];
    let bytes = 0;
    for (;;) {
      const segs = listSegments(this.dir);
      if (this.segment === undefined) {
        // The last segment starting at or before the next position holds it (or the first one).
        let pick: SegmentFile | undefined = segs[0];
        for (const s of segs) if (s.first <= this.after + 1) pick = s;
        if (pick === undefined) return out;
        this.segment = pick;
        this.offset = 0;
      }
      const seg = this.segment;
      let buf: Buffer;
      let mtime: number;
      try {
        const fd = fs.openSync(seg.path, "r");
        try {
          const st = fs.fstatSync(fd);
          mtime = st.mtimeMs;
          buf = Buffer.allocUnsafe(Math.max(0, st.size - this.offset));
          let done = 0;
          while (done < buf.length) {
            const n = fs.readSync(fd, buf, done, buf.length - done, this.offset + done);
            if (n <= 0) break;
            done += n;
          }
          buf = buf.subarray(0, done);
        } finally {
          fs.closeSync(fd);
        }
      } catch (e) {
        if ((e as { code?: unknown }).code !== "ENOENT") throw e;
        // Deleted (a checkpoint cut it after we read it all): go on with the next one.
        this.segment = segs.find((s) => s.first > seg.first);
        this.offset = 0;
        if (this.segment === undefined) return out;
        continue;
      }
      let at = 0;
      for (;;) {
        const f = readFrame(buf, at);
        if (f === undefined || f.kind === "truncated") break;
        if (f.kind === "corrupt") {
          throw new CorruptFileError(
            "bad_checksum",
            `damaged WAL record: ${f.why}`,
            seg.path,
            this.offset + at,
          );
        }
        at = f.end;
        const position = decodePosition(f.payload);
        if (position === undefined || position <= this.after) continue;
        out.push({ position, bytes: f.payload.subarray(POSITION_BYTES), fileTime: mtime });
        bytes += f.payload.length;
        this.after = position;
        if (bytes >= limitBytes) break;
      }
      this.offset += at;
      if (bytes >= limitBytes) return out;
      const next = segs.find((s) => s.first > seg.first);
      if (next === undefined) return out;
      // The rest of this segment was read: records go to the newest one only.
      this.segment = next;
      this.offset = 0;
    }
  }
}
