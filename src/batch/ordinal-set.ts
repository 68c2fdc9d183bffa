/** A growable set of small non-negative integers (record ordinals), one bit each: a million records take 125 kB. */
export class OrdinalSet {
  #bits = new Uint8Array(1024);

  add(ordinal: number): void {
    const byte = ordinal >>> 3;
    if (byte >= this.#bits.length) {
      const grown = new Uint8Array(Math.max(byte + 1, this.#bits.length * 2));
      grown.set(this.#bits);
      this.#bits = grown;
    }
    this.#bits[byte]! |= 1 << (ordinal & 7);
  }

  has(ordinal: number): boolean {
    const byte = ordinal >>> 3;
    return byte < this.#bits.length && (this.#bits[byte]! & (1 << (ordinal & 7))) !== 0;
  }
}
