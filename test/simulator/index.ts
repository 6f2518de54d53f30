/** The AvePoint simulator: server, tenant, faults, response styles and the demo tenant. */
export { AvePointSimulator, REVISION_ROUTES } from "./server.js";
export type { RecordedRequest, SimRevision, SimulatorOptions } from "./server.js";
export { SimulatedTenant, SimulatedJobNotFoundError, CANONICAL_JOB_STATES, formatJobId } from "./tenant.js";
export type { CanonicalJobState, SimBackupFrequency, SimJob, SimJobCounts, SimJobError, SimLicense, SimUnusualActivity } from "./tenant.js";
export type { Fault, FaultKind, FaultTarget } from "./faults.js";
export { CURRENT_STYLE, SEED_STYLE } from "./style.js";
export type { ApiProfile, ResponseStyle } from "./style.js";
export { BACKEND_JOBS_PATH, DEFAULT_PAGE_SIZE, FOREIGN_ORIGIN } from "./jobs-query.js";
export type { NextLinkMode, QueryTimes, WindowReading } from "./jobs-query.js";
export { JOB_INFO_SCOPE, JWT_BEARER_ASSERTION_TYPE, SETTINGS_SCOPE, SUBSCRIPTION_INFO_SCOPE, UNUSUAL_ACTIVITY_SCOPE } from "./auth.js";
export { certificateThumbprint } from "./client-assertion.js";
export { createDemoTenant } from "./demo-tenant.js";
export type { DemoTenant, DemoTenantOptions } from "./demo-tenant.js";
