/**
 * The procedural API's resources: small positive integers standing for one server each, like the
 * `$res` the PHP extension hands out. Handles are never reused, so a stale handle cannot reach
 * another server.
 */
export class HandleTable<T> {
  private readonly items = new Map<number, T>();
  private last = 0;

  add(item: T): number {
    const handle = ++this.last;
    this.items.set(handle, item);
    return handle;
  }

  get(handle: unknown): T | undefined {
    return typeof handle === 'number' ? this.items.get(handle) : undefined;
  }

  remove(handle: number): T | undefined {
    const item = this.items.get(handle);
    this.items.delete(handle);
    return item;
  }

  get size(): number {
    return this.items.size;
  }
}
