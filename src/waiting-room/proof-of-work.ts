// Owns the admission attempt's proof of work: hashcash on SHA-256. A solution is any string such that
// sha256(challenge + solution) starts with `difficulty` zero bits. Checking costs one hash; finding one
// costs about 2^difficulty, which slows a bot's thousand attempts far more than a buyer's few.
// Isomorphic: the server checks with node:crypto, clients (src/waiting-room/client.ts, the browser's Web
// Worker) solve with whatever SHA-256 they have.

/** The longest solution accepted: a counter in base 36 never needs more. */
export const maxSolutionLength = 64;

export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

export type Sha256 = (data: Uint8Array) => Uint8Array | Promise<Uint8Array>;

const encoder = new TextEncoder();

/** Whether `solution` solves `challenge` at `difficulty` (the server's check: one hash). */
export async function solves(
  sha256: Sha256,
  challenge: string,
  difficulty: number,
  solution: string,
): Promise<boolean> {
  if (solution.length === 0 || solution.length > maxSolutionLength) return false;
  return leadingZeroBits(await sha256(encoder.encode(challenge + solution))) >= difficulty;
}

/** Hashes between two yields to the event loop, so a long search never freezes a page or a process. */
const hashesPerSlice = 4096;

/** Finds a solution by counting up: about 2^difficulty hashes. */
export async function solve(sha256: Sha256, challenge: string, difficulty: number): Promise<string> {
  for (let counter = 0; ; counter++) {
    if (counter % hashesPerSlice === hashesPerSlice - 1)
      await new Promise((resolve) => setTimeout(resolve, 0));
    const solution = counter.toString(36);
    // Awaited only when the hash is asynchronous (WebCrypto): node:crypto's costs no promise per hash.
    const digest = sha256(encoder.encode(challenge + solution));
    if (leadingZeroBits(digest instanceof Uint8Array ? digest : await digest) >= difficulty) return solution;
  }
}
