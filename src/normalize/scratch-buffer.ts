/**
 * A grow-only buffer that framing joins a file's pieces in. A fresh buffer of several megabytes per document
 * or chunk is fresh memory each time, page faults and all: joining 1.4 GB of CloudTrail that way took 4 s of
 * a 24 s ingest, against 0.3 s for copying the same bytes into a buffer in use. What `join` returns is only
 * valid until the next `join`, so one ingest run (one file at a time) owns one.
 */
export class ScratchBuffer {
  private buffer = Buffer.allocUnsafe(0);

  /** `pieces` joined (`total` bytes). A piece may be a view of this buffer (what the last join left over). */
  join(pieces: Buffer[], total: number): Buffer {
    let target = this.buffer;
    // A quarter to spare, so that files of slowly growing sizes do not each allocate anew.
    if (total > target.length) target = Buffer.allocUnsafe(total + (total >> 2));
    let offset = 0;
    // Buffer.copy moves like memmove, so a piece that lies in this buffer may overlap where it goes.
    for (const piece of pieces) offset += piece.copy(target, offset);
    this.buffer = target;
    return target.subarray(0, total);
  }
}
