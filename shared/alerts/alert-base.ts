/**
 * What every alert carries, whatever its kind. Kept apart from model.ts,
 * which assembles the union of kinds, so the kinds defined in files of their
 * own (health-model.ts) can extend it without an import circle.
 */

export type Severity = "critical" | "warning" | "info";
/** `firing` = something is wrong; `resolved` = a notice that it no longer is. */
type AlertStatus = "firing" | "resolved";

export interface AlertBase {
  /**
   * Stable identity (see fingerprint.ts): built from identity fields only,
   * never timestamps or text. Permanent: changing it re-alerts everything.
   */
  fingerprint: string;
  /** The readable identity the fingerprint hashes, e.g. `job:contoso:IB2026...:Failed`. */
  identity: string;
  /** Tenant label (ALERT_TENANT_NAME). */
  tenant: string;
  severity: Severity;
  status: AlertStatus;
  /** When this cycle found it (the cycle's pinned time). */
  detectedAt: Date;
  /**
   * Set on the copy of a critical alert sent again because nobody acknowledged
   * its Teams bot card in time (shared/bot/escalation.ts); its fingerprint is
   * `escalate:<original fingerprint>`. Renderers mark it and @mention the on-call.
   */
  escalation?: AlertEscalation;
  /**
   * Set on the ledger copy of an alert a silence held back (receiver
   * `silenced`): which silence, and when its window ends, so the silence
   * summary (routing/silence-summary.ts) can list it after the end.
   */
  silencedBy?: SilenceRef;
}

/** One window of one silence: its name and the end of the window that held an alert back. */
export interface SilenceRef {
  name: string;
  windowStart: Date;
  windowEnd: Date;
  /** A weekly silence's zone, so the window reads in the clock it was declared in. */
  timeZone?: string;
}

/** What makes an alert an escalation (see AlertBase.escalation). */
export interface AlertEscalation {
  /** Fingerprint of the alert escalated (the bot card's buttons act on it). */
  of: string;
  /** ESCALATE_AFTER_MINUTES when it was escalated. */
  afterMinutes: number;
  /** ONCALL_UPN: the user principal name @mentioned in Teams and named in email. */
  oncallUpn?: string;
}
