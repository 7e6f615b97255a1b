/**
 * Groups items, in order, into runs that stay within a size (KV's limits on
 * a value or a commit) and a count. An item larger than the size alone is a
 * run of its own.
 */
export class Packer<T> {
  private runs: T[][] = [];
  private current: T[] = [];
  private size = 0;

  constructor(private maxSize: number, private maxCount = Infinity) {}

  add(item: T, size: number): void {
    if (this.current.length === this.maxCount || (this.current.length > 0 && this.size + size > this.maxSize)) {
      this.runs.push(this.current);
      this.current = [];
      this.size = 0;
    }
    this.current.push(item);
    this.size += size;
  }

  /** The runs, the last one included. */
  done(): T[][] {
    if (this.current.length > 0) this.runs.push(this.current);
    return this.runs;
  }
}
