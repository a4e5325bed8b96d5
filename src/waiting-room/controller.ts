// Owns the waiting room's control law, a pure function the onsale workflow runs every tick, so each
// change of tau and of the session cap is explained by the measurement beside it in the history.
//
// Between two attempts of a waiting buyer (`horizonSeconds` apart) the chance of admission is
// 1 - exp(-horizon / tau) whatever they have waited (the exponential is memoryless), so with `waiting`
// buyers and `free` session slots, tau = -horizon / ln(1 - free / waiting) admits about as many as there
// are free slots. The cap on sessions is the hard limit; tau only paces. The checkout path's health
// shrinks the cap (multiplicatively, when holds slow down or payments near their limit) and lets it grow
// back slowly (additively), so admitted buyers stay fast.

export interface Control {
  /** Seconds: the waiting room's pace (smaller admits sooner). */
  tau: number;
  /** Share of the target sessions the checkout path serves well now, in [minHealthShare, 1]. */
  healthShare: number;
  /** At most this many sessions at once, now. */
  sessionCap: number;
}

export interface Measurement {
  activeSessions: number;
  /** Seats on sale now: with none (all held or sold) nobody new is admitted until holds end. */
  availableSeats: number;
  /** Buyers who joined and are not admitted (an estimate: some have left). */
  waiting: number;
  /** p99 of recent holds across the API processes, ms; null when there were none. */
  holdP99Ms: number | null;
  /** Confirms in flight over what payments serve within the wait budget, the busiest process; null: idle. */
  confirmLoad: number | null;
}

export interface ControlGoals {
  /** The event's maxActiveSessions, or support's target when set (never above maxActiveSessions). */
  targetSessions: number;
  horizonSeconds: number;
}

export const tauBounds = { min: 0.5, max: 3600 } as const;
/**
 * The hold latency admitted buyers should see (bench:onsale's goal), and the payment load to stay under:
 * a fifth of what payments charge within the API's 5 s budget is what they charge within a second, so a
 * confirm is answered in about a second.
 */
export const healthGoals = { holdP99Ms: 300, confirmLoad: 0.2 } as const;
const minHealthShare = 0.1;
const shrink = 0.7;
const growBack = 0.1;

// A brisk pace to start: the session cap bounds the opening rush, and the first tick sets the real pace.
export const initialControl = (targetSessions: number): Control => ({
  tau: 1,
  healthShare: 1,
  sessionCap: targetSessions,
});

export function nextControl(previous: Control, measured: Measurement, goals: ControlGoals): Control {
  const unhealthy =
    (measured.holdP99Ms !== null && measured.holdP99Ms > healthGoals.holdP99Ms) ||
    (measured.confirmLoad !== null && measured.confirmLoad > healthGoals.confirmLoad);
  const healthShare = unhealthy
    ? Math.max(minHealthShare, previous.healthShare * shrink)
    : Math.min(1, previous.healthShare + growBack);
  const healthyCap = Math.max(1, Math.round(goals.targetSessions * healthShare));
  const sessionCap =
    measured.availableSeats === 0 ? Math.min(healthyCap, measured.activeSessions) : healthyCap;
  const free = Math.max(0, sessionCap - measured.activeSessions);
  let tau: number;
  // No slot free: the cap holds everyone back already; keep the pace for when slots free up.
  if (free === 0) tau = previous.tau;
  else if (measured.waiting <= free) tau = tauBounds.min;
  else tau = -goals.horizonSeconds / Math.log(1 - free / measured.waiting);
  return { tau: clamp(tau, tauBounds.min, tauBounds.max), healthShare, sessionCap };
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
