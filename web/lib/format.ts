// Owns how the pages write money, dates and durations, the same on the server (the rendered page) and in
// the browser (what the scripts update), so a figure never changes shape when it goes live.

/** An amount in the currency's minor units, e.g. 4200 EUR as "€42.00". */
export function formatMoney(minor: number, currency: string): string {
  const format = new Intl.NumberFormat('en', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minor / 10 ** digits);
}

/** A date and time in UTC, readable and the same wherever it is rendered. */
export function formatDateTime(iso: string): string {
  return new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }).format(
    new Date(iso),
  );
}

/** Seconds as m:ss (a countdown). */
export function formatClock(seconds: number): string {
  const whole = Math.max(0, Math.ceil(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

/** Seconds as words for a screen reader and a person: "about 2 minutes", "a few seconds". */
export function formatWait(seconds: number): string {
  if (seconds < 10) return 'a few seconds';
  if (seconds < 90) return `about ${Math.round(seconds / 10) * 10} seconds`;
  return `about ${Math.round(seconds / 60)} minutes`;
}
