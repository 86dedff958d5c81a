// A Map that never holds more than `max` entries: the isolate's per-key state lives as long as the
// isolate, so anything keyed by what clients send must have a ceiling. When full, the entry set
// longest ago goes first; every user of this map treats a lost entry as "ask again", never as
// permission.
export class BoundedMap<K, V> extends Map<K, V> {
  readonly max: number;
  constructor(max: number) {
    super();
    this.max = max;
  }

  override set(key: K, value: V): this {
    if (!this.has(key) && this.size >= this.max) {
      const oldest = this.keys().next();
      if (!oldest.done) this.delete(oldest.value);
    }
    return super.set(key, value);
  }
}
