// Owns the fairness figures of an onsale: Kendall's tau between the order buyers joined in and the order
// they were admitted in (1: first come first served; 0: a lottery), over the buyers who were admitted.

/** Kendall's tau-b of two orderings of the same items (ties count as neither agreeing nor disagreeing). */
export function kendallTau(pairs: readonly { a: number; b: number }[]): number {
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < pairs.length; i++) {
    const p = pairs[i] as { a: number; b: number };
    for (let j = i + 1; j < pairs.length; j++) {
      const q = pairs[j] as { a: number; b: number };
      const da = Math.sign(p.a - q.a);
      const db = Math.sign(p.b - q.b);
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  }
  const denominator = Math.sqrt((concordant + discordant + tiesA) * (concordant + discordant + tiesB));
  return denominator === 0 ? 0 : (concordant - discordant) / denominator;
}
