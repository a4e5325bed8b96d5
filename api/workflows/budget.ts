// Owns the API's wait budget: a request waits for its workflow at most this long, then answers "in
// progress" while the workflow carries on.
export type Settled<T> = { settled: true; value: T } | { settled: false };

/** The work's outcome if it settles within `budgetMs`; a rejection within the budget is rethrown. */
export async function withinBudget<T>(work: Promise<T>, budgetMs: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), budgetMs);
  });
  const answered = work.then((value) => ({ settled: true as const, value }));
  // After the budget has run out nobody awaits `answered`: its late rejection must not go unhandled.
  answered.catch(() => {});
  try {
    return await Promise.race([answered, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
