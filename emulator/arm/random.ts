/**
 * Seeded draws, so that what the emulator leaves to chance (which faults fire, which hardware
 * a VM lands on) can be replayed: the same seed gives the same sequence.
 */

/** mulberry32: a small seeded generator, good enough for the emulator's draws. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stream of draws in [0, 1): seeded, or Math.random until a seed is given. */
export class Draws {
  private random: () => number = Math.random;

  constructor(seed?: number) {
    this.reseed(seed);
  }

  /** Starts the sequence of `seed` again; without one, draws come from Math.random. */
  reseed(seed: number | undefined): void {
    this.random = seed === undefined ? Math.random : seededRandom(seed);
  }

  next(): number {
    return this.random();
  }
}
