/**
 * The decide step: which of a cycle's detected alerts are news. Pure: it sees
 * what was detected and what the ledger already holds, and says for each alert
 * `first`, `repeat` or `resolved`, with a reason a person can read. Only
 * `repeat` is held back; the ledger's insert-if-absent (`admit`) still guards
 * against an overlapping run deciding the same alert at the same moment.
 *
 * Rules that keep their own state (license levels, credential notices, the
 * monitor's health) already detect a notice only when it is due, so they are
 * never asked of the ledger: what the cycle did not ask about is not known here.
 */
import type { Alert } from "./model.js";

type Verdict = "first" | "repeat" | "resolved";

export interface Decision<A extends Alert = Alert> {
  alert: A;
  verdict: Verdict;
  reason: string;
}

interface DecideInput<A extends Alert> {
  /** What the cycle detected, in the order it should be admitted. */
  detected: readonly A[];
  /** Fingerprints among them the ledger already holds (for any receiver). */
  known: ReadonlySet<string>;
}

export function decide<A extends Alert>(input: DecideInput<A>): Decision<A>[] {
  return input.detected.map((alert) => {
    if (input.known.has(alert.fingerprint)) return { alert, verdict: "repeat", reason: `the ledger already holds ${alert.identity}` };
    if (alert.status === "resolved") return { alert, verdict: "resolved", reason: `${alert.identity} no longer holds` };
    return { alert, verdict: "first", reason: `${alert.identity} is new` };
  });
}

/** The alerts to route: every decision but a repeat, in the order detected. */
export function toAdmit<A extends Alert>(decisions: readonly Decision<A>[]): A[] {
  return decisions.filter((d) => d.verdict !== "repeat").map((d) => d.alert);
}
