/**
 * Serialized records, kept as bytes so a page is a Buffer.concat of cached pieces with no
 * per-request string building or encoding. Keyed by the record object: records are never changed
 * in place (a change replaces the object), so an entry is valid for as long as its record is in
 * use, needs no invalidation, and goes with the record. Tenants rebuilt by a reset share the
 * entries of their unchanged records.
 */
export class FragmentCache<T extends object> {
  readonly #variants: number
  readonly #build: (record: T, variant: number) => Buffer
  readonly #slots = new WeakMap<T, Array<Buffer | undefined>>()

  /** `variants` forms per record (versions × formats), numbered from 0, each built on first use. */
  constructor (variants: number, build: (record: T, variant: number) => Buffer) {
    this.#variants = variants
    this.#build = build
  }

  get (record: T, variant = 0): Buffer {
    let slots = this.#slots.get(record)
    if (slots === undefined) {
      slots = new Array<Buffer | undefined>(this.#variants).fill(undefined)
      this.#slots.set(record, slots)
    }
    return slots[variant] ?? (slots[variant] = this.#build(record, variant))
  }
}
