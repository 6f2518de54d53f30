import { Secret } from "../security/secret.js";
import { GUID, isLoopbackHost } from "./environment.js";

/**
 * Email settings (receiver `email`): who receives, who sends, and through
 * what: Microsoft Graph sendMail (an app registration with a secret or a
 * certificate, or the app's managed identity) or an SMTP server.
 * Composed by `parseSettings` from the rows of schema.ts; every problem names its variable.
 */

export const DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com";
const DEFAULT_SMTP_PORT = 587;
export const SMTP_AUTH_KINDS = ["password", "oauth2"] as const;
type SmtpAuthKind = (typeof SMTP_AUTH_KINDS)[number];
/** The resource an Exchange Online SMTP XOAUTH2 token is for. */
export const EXCHANGE_SMTP_SCOPE = "https://outlook.office365.com/.default";
/** Implicit TLS (SMTP_SECURE=true) is served on 465 (RFC 8314). */
const DEFAULT_SMTPS_PORT = 465;

export type GraphCredentialSettings =
  | { kind: "secret"; tenantId: string; clientId: string; secret: Secret }
  /** PEM text holding the certificate and its private key. */
  | { kind: "certificate"; tenantId: string; clientId: string; pem: Secret }
  /** The app's managed identity: user-assigned when a client id is given (AZURE_CLIENT_ID), else system-assigned. */
  | { kind: "managedIdentity"; clientId?: string };

type EmailTransportSettings =
  | { kind: "graph"; credential: GraphCredentialSettings; baseUrl: string }
  | {
      kind: "smtp";
      host: string;
      port: number;
      /** Implicit TLS from the first byte (port 465). */
      secure: boolean;
      /** Refuse to send unless the server upgrades the connection with STARTTLS. */
      requireTls: boolean;
      auth?: { user: string; password: Secret };
      /** SMTP_AUTH=oauth2: XOAUTH2 as `user` with a token from the app's credential (Exchange Online). */
      oauth2?: { user: string; credential: GraphCredentialSettings };
    };

export interface EmailSettings {
  to: string[];
  from: string;
  transport: EmailTransportSettings;
}

/** The settings this module reads, as schema.ts has read them (undefined = unset or refused). */
interface EmailValues {
  EMAIL_TO?: string | undefined;
  EMAIL_FROM?: string | undefined;
  EMAIL_GRAPH_TENANT_ID?: string | undefined;
  EMAIL_GRAPH_CLIENT_ID?: string | undefined;
  EMAIL_GRAPH_CLIENT_SECRET?: Secret | undefined;
  EMAIL_GRAPH_CERTIFICATE?: Secret | undefined;
  EMAIL_GRAPH_BASE_URL: string;
  SMTP_HOST?: string | undefined;
  SMTP_PORT?: number | undefined;
  SMTP_SECURE: boolean;
  SMTP_REQUIRE_TLS: boolean;
  SMTP_USER?: string | undefined;
  SMTP_PASSWORD?: Secret | undefined;
  SMTP_AUTH?: SmtpAuthKind | undefined;
  AZURE_CLIENT_ID?: string | undefined;
}

type Given = (name: keyof EmailValues) => boolean;
type Problem = (variable: string, message: string) => void;

/**
 * A plain mailbox address: local part, "@", a dotted domain. Display names
 * ("Ops <ops@x>") are refused: the setting lists addresses only.
 */
const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && ADDRESS.test(value);
}

const GRAPH_VARIABLES = ["EMAIL_GRAPH_TENANT_ID", "EMAIL_GRAPH_CLIENT_ID", "EMAIL_GRAPH_CLIENT_SECRET", "EMAIL_GRAPH_CERTIFICATE"] as const;

/** Undefined when EMAIL_TO is unset (email off). Numbers, booleans and URLs were read (and refused) by schema.ts even when email is off. */
export function parseEmailSettings(v: EmailValues, given: Given, problem: Problem): EmailSettings | undefined {
  if (v.EMAIL_TO === undefined) {
    if (v.EMAIL_FROM !== undefined) problem("EMAIL_FROM", "is set but EMAIL_TO is not: set the recipients too, or remove it");
    return undefined;
  }

  const to: string[] = [];
  const items = v.EMAIL_TO.split(/[,;]/).map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!isEmailAddress(item)) problem("EMAIL_TO", `"${item}" is not an email address (list plain addresses separated by commas, e.g. oncall@contoso.com, backup-team@contoso.com)`);
    else if (!to.some((a) => a.toLowerCase() === item.toLowerCase())) to.push(item);
  }
  if (items.length === 0) problem("EMAIL_TO", "lists no address");

  const from = v.EMAIL_FROM ?? "";
  if (!from) problem("EMAIL_FROM", "is required when EMAIL_TO is set: the mailbox alerts are sent from (e.g. backup-alerts@contoso.com)");
  else if (!isEmailAddress(from)) problem("EMAIL_FROM", `"${from}" is not an email address`);

  // SMTP when a server is named (SMTP_AUTH alone asks for one too); else Microsoft Graph.
  const smtp = given("SMTP_HOST") || given("SMTP_AUTH");
  if (smtp && v.SMTP_AUTH !== "oauth2") {
    // Only XOAUTH2 signs in to SMTP with the Graph app registration: anywhere else it would be left unused.
    const unused = [...GRAPH_VARIABLES, "EMAIL_GRAPH_BASE_URL" as const].filter(given);
    if (unused.length > 0) {
      problem(unused.join(", "), "is set but email goes through SMTP (SMTP_HOST is set): remove it, or remove SMTP_HOST to send through Microsoft Graph, or set SMTP_AUTH=oauth2 to sign in to SMTP with that app registration");
    }
  }
  const transport: EmailTransportSettings = smtp
    ? smtpTransport(v, given, problem)
    : { kind: "graph", credential: graphCredential(v, given, problem), baseUrl: v.EMAIL_GRAPH_BASE_URL };
  return { to, from, transport };
}

function graphCredential(v: EmailValues, given: Given, problem: Problem): GraphCredentialSettings {
  const tenantId = v.EMAIL_GRAPH_TENANT_ID ?? "";
  const clientId = v.EMAIL_GRAPH_CLIENT_ID ?? "";
  if (!given("EMAIL_GRAPH_CLIENT_SECRET") && !given("EMAIL_GRAPH_CERTIFICATE")) {
    const stray = (["EMAIL_GRAPH_TENANT_ID", "EMAIL_GRAPH_CLIENT_ID"] as const).filter(given);
    if (stray.length > 0) {
      problem(
        stray.join(", "),
        "is set without EMAIL_GRAPH_CLIENT_SECRET or EMAIL_GRAPH_CERTIFICATE: give the app registration's secret or certificate, or remove it to send as the managed identity (AZURE_CLIENT_ID)",
      );
    }
    return { kind: "managedIdentity", ...(v.AZURE_CLIENT_ID ? { clientId: v.AZURE_CLIENT_ID } : {}) };
  }
  if (given("EMAIL_GRAPH_CLIENT_SECRET") && given("EMAIL_GRAPH_CERTIFICATE")) {
    problem("EMAIL_GRAPH_CLIENT_SECRET, EMAIL_GRAPH_CERTIFICATE", "give one credential for the Graph app registration, not both");
  }
  if (!tenantId) problem("EMAIL_GRAPH_TENANT_ID", "is required with a client secret or certificate: the Entra tenant id (a GUID) of the app registration");
  else if (!GUID.test(tenantId) && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(tenantId)) {
    problem("EMAIL_GRAPH_TENANT_ID", `must be a tenant id (GUID) or a verified domain such as contoso.onmicrosoft.com (got "${tenantId}")`);
  }
  if (!clientId) problem("EMAIL_GRAPH_CLIENT_ID", "is required with a client secret or certificate: the application (client) id of the app registration");
  if (v.EMAIL_GRAPH_CLIENT_SECRET) return { kind: "secret", tenantId, clientId, secret: v.EMAIL_GRAPH_CLIENT_SECRET };
  return { kind: "certificate", tenantId, clientId, pem: v.EMAIL_GRAPH_CERTIFICATE ?? new Secret("") };
}

function smtpTransport(v: EmailValues, given: Given, problem: Problem): EmailTransportSettings {
  const host = v.SMTP_HOST ?? "";
  if (!host) problem("SMTP_HOST", "is required when email goes through SMTP (SMTP_AUTH is set): the SMTP server's host name");
  if (v.SMTP_AUTH === "oauth2") return smtpOAuth2Transport(v, given, problem, host);
  const user = v.SMTP_USER;
  const password = v.SMTP_PASSWORD;
  if ((user === undefined) !== (password === undefined)) {
    problem(user === undefined ? "SMTP_USER" : "SMTP_PASSWORD", "SMTP_USER and SMTP_PASSWORD go together: set both for an authenticated server, or neither");
  }
  // A password sent over a connection that may stay unencrypted can be read by anyone on the path.
  if (password !== undefined && !v.SMTP_SECURE && !v.SMTP_REQUIRE_TLS && host && !isLoopbackHost(host)) {
    problem("SMTP_REQUIRE_TLS", "must stay true when SMTP_PASSWORD is set (or use SMTP_SECURE=true): the password would otherwise be sent unencrypted to a server that offers no STARTTLS");
  }
  return {
    ...smtpConnection(host, v),
    ...(user !== undefined && password !== undefined ? { auth: { user, password } } : {}),
  };
}

/** Where and how an SMTP transport connects, whichever way it signs in. */
function smtpConnection(host: string, v: EmailValues) {
  return {
    kind: "smtp" as const,
    host,
    port: v.SMTP_PORT ?? (v.SMTP_SECURE ? DEFAULT_SMTPS_PORT : DEFAULT_SMTP_PORT),
    secure: v.SMTP_SECURE,
    requireTls: v.SMTP_REQUIRE_TLS,
  };
}

/**
 * SMTP_AUTH=oauth2 (Exchange Online, where basic auth for SMTP goes away):
 * XOAUTH2 as SMTP_USER (default EMAIL_FROM), with a token from the same
 * credential Graph would use (EMAIL_GRAPH_* app registration, else the
 * managed identity). The token travels only over TLS.
 */
function smtpOAuth2Transport(v: EmailValues, given: Given, problem: Problem, host: string): EmailTransportSettings {
  if (given("SMTP_PASSWORD")) problem("SMTP_PASSWORD", "must be unset with SMTP_AUTH=oauth2: the login uses a token from the app's credential");
  if (!v.SMTP_SECURE && !v.SMTP_REQUIRE_TLS) problem("SMTP_REQUIRE_TLS", "must stay true with SMTP_AUTH=oauth2 (or use SMTP_SECURE=true): the token is a credential");
  const user = v.SMTP_USER ?? v.EMAIL_FROM ?? "";
  return { ...smtpConnection(host, v), oauth2: { user, credential: graphCredential(v, given, problem) } };
}
