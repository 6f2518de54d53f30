/** The AvePoint Cloud Backup for Microsoft 365 client: what the rest of the application imports. */
export { AvePointClient, createAvePointClient, DEFAULT_MAX_PAGES, DEFAULT_PAGE_SIZE } from "./client.js";
export { UnsupportedByProfileError } from "./client.js";
export type { AvePointClientOptions, ListJobPagesOptions, PageLink, RequestOptions, UnusualActivityQuery } from "./client.js";
export { AvePointTokenProvider, AVEPOINT_SCOPES, JOBS_SCOPE, LICENSE_SCOPE, CLIENT_ASSERTION_TYPE, SETTINGS_SCOPE, UNUSUAL_ACTIVITY_SCOPE } from "./token-provider.js";
export type { AvePointTransportOptions, TokenProviderOptions } from "./token-provider.js";
export { ClientCertificate, loadClientCertificate, certificateFromPem, certificateFromPfx } from "./certificate.js";
export type { CertificateCredential } from "./certificate.js";
export {
  AvePointApiError,
  AvePointAuthError,
  AvePointCertificateError,
  AvePointPathNotFoundError,
  AvePointPermissionError,
  IncompleteListingError,
  MalformedResponseError,
  PageLimitExceededError,
  UnsafeNextLinkError,
} from "./errors.js";
export { API_REVISIONS, jobQueryParameters } from "./profiles.js";
export type { ApiRevision } from "./profiles.js";
export type { DurationUnit } from "./normalize.js";
export { describeServiceReading, readServiceReading } from "./service-reading.js";
export type { ServiceReading } from "./service-reading.js";
export {
  normalizeJobPage,
  normalizeJobState,
  normalizeLicenseUsage,
  parseBackupFrequency,
  parseJobPage,
  parseLicenseUsage,
  parseUnusualActivity,
} from "./normalize.js";
export * from "./model.js";
