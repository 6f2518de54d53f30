/**
 * Rendering: alerts → Adaptive Cards (1.4) and Teams Workflows payloads. Pure
 * functions, no I/O; sending lives in shared/receivers.
 */
export { FULL_DETAIL, jsonBytes, type AdaptiveCard } from "./adaptive-card.js";
export { alertSummary, renderAlertCard } from "./kinds/index.js";
export { digestSummary, renderDigestCard } from "./digest-card.js";
export { digestOrder } from "./digest-layout.js";
export { defangLinks, escapeApiText, escapeMarkdown, normalizeApiText, plainApiText, truncateText } from "./escape.js";
export { formatDate, formatDuration, formatNumber, formatPercent, formatUtc } from "./format.js";
export {
  CardTooLargeError,
  WORKFLOWS_MAX_BYTES,
  buildAlertMessage,
  buildWorkflowsMessages,
  workflowsPayload,
  type WorkflowsMessage,
} from "./workflows.js";
export { buildEmailMessages, renderAlertEmail, renderDigestEmail, type EmailMessage } from "./email.js";
export { escapeHtml } from "./email-html.js";
