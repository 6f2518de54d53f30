import type { AlertBase, Severity } from "../alerts/model.js";
import { textBlock, type CardDetail, type CardElement, type CardTone } from "./adaptive-card.js";
import { escapeApiText } from "./escape.js";
import { TENANT_CHARS, whenText } from "./format.js";

/** Pieces of alert cards that several kinds draw the same way. */

const SEVERITY_TONES: Record<Severity, CardTone> = { critical: "attention", warning: "warning", info: "default" };

export function severityTone(severity: Severity): CardTone {
  return SEVERITY_TONES[severity];
}

/** The header band's second line: "Contoso · CRITICAL · detected 2026-11-29 08:15 UTC". `tenant` is untrusted. */
export function cardSubtitle(alert: Pick<AlertBase, "status" | "detectedAt">, tenant: string, label: string): string {
  return `${escapeApiText(tenant, TENANT_CHARS)} \u00B7 ${label} \u00B7 ${whenText(alert)}`;
}

/** A labelled monospace line: easy to select and copy, and to search for. */
export function idBlock(label: string, id: string | null, detail: CardDetail): CardElement[] {
  return [
    textBlock(label, { isSubtle: true, size: "small", spacing: "medium" }),
    id
      ? textBlock(escapeApiText(id, detail.maxIdChars), { fontType: "monospace", weight: "bolder", spacing: "none" })
      : textBlock("not reported by the API", { spacing: "none" }),
  ];
}
