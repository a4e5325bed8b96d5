// Owns the shape of a discrepancy check: which subjects it visits, where each is, the rules it applies.
import type { Lookups } from './lookups';
import type { Sources } from './sources';
import type { Discrepancy, DiscrepancyCode } from './types';

/** The ids a discrepancy names besides its code and message. */
export type Where = Omit<Discrepancy, 'code' | 'message'>;

/** Records a discrepancy about the subject being checked; `more` names what else it concerns. */
export type Flag = (code: DiscrepancyCode, message: string, more?: Where) => void;

export interface Context extends Lookups {
  sources: Sources;
  /** Epoch milliseconds: a refund REQUESTED before this without the gateway's answer is unsettled. */
  unsettledBefore: number;
}

/** One rule about one subject: it flags what disagrees and returns nothing. */
export type Rule<T> = (subject: T & { flag: Flag }, context: Context) => void;

/** A kind of subject (orders, PaymentIntents, ...) and every rule about it, in the order they report. */
export interface Checks<T> {
  subjects(context: Context): T[];
  where(subject: T, context: Context): Where;
  rules: Rule<T>[];
}
