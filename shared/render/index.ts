/**
 * Rendering: alerts → Adaptive Cards (1.4) and Teams Workflows payloads. Pure
 * functions, no I/O; sending lives in shared/receivers.
 */
export {
  CARD_VERSION,
  FULL_DETAIL,
  SHRINK_STEPS,
  jsonBytes,
  type AdaptiveCard,
  type CardDetail,
  type CardElement,
  type Container,
  type Fact,
  type FactSet,
  type TextBlock,
} from "./adaptive-card.js";
export { alertSummary, renderAlertCard } from "./kinds/index.js";
export { digestSummary, renderDigestCard, type DigestPart } from "./digest-card.js";
export { DIGEST_DETAIL, digestOrder } from "./digest-layout.js";
export { defangLinks, escapeApiText, escapeMarkdown, normalizeApiText, plainApiText, truncateText } from "./escape.js";
export {
  formatDate,
  formatDuration,
  formatNumber,
  formatPercent,
  formatUtc,
  jobStateLabel,
  serviceName,
  summaryLine,
  tenantLabel,
} from "./format.js";
export {
  ADAPTIVE_CARD_CONTENT_TYPE,
  CardTooLargeError,
  WORKFLOWS_MAX_BYTES,
  buildAlertMessage,
  buildWorkflowsMessages,
  workflowsPayload,
  type WorkflowsMessage,
  type WorkflowsMessagesOptions,
  type WorkflowsPayload,
} from "./workflows.js";
export {
  buildEmailMessages,
  isEmailMessage,
  renderAlertEmail,
  renderDigestEmail,
  type EmailMessage,
  type EmailMessagesOptions,
} from "./email.js";
export { escapeHtml } from "./email-html.js";
