/** The AvePoint Cloud Backup for Microsoft 365 client: what the rest of the application imports. */
export { AvePointClient, createAvePointClient } from "./client.js";
export type { AvePointClientOptions } from "./client.js";
export { AvePointTokenProvider, JOBS_SCOPE, LICENSE_SCOPE, SETTINGS_SCOPE, UNUSUAL_ACTIVITY_SCOPE } from "./token-provider.js";
export { loadClientCertificate } from "./certificate.js";
export {
  AvePointApiError,
  AvePointAuthError,
  AvePointCertificateError,
  AvePointPermissionError,
  IncompleteListingError,
  MalformedResponseError,
  PageLimitExceededError,
} from "./errors.js";
export { describeServiceReading } from "./service-reading.js";
export * from "./model.js";
