import { Secret } from "../security/secret.js";
import { isLoopbackHost } from "./environment.js";

/**
 * Email settings (receiver `email`): who receives, who sends, and through
 * what: Microsoft Graph sendMail (an app registration with a secret or a
 * certificate, or the app's managed identity) or an SMTP server.
 * Parsed as part of `parseSettings`; every problem names its variable.
 */

export const EMAIL_TRANSPORTS = ["graph", "smtp"] as const;
export type EmailTransportName = (typeof EMAIL_TRANSPORTS)[number];

export const DEFAULT_GRAPH_BASE_URL = "https://graph.microsoft.com";
export const DEFAULT_SMTP_PORT = 587;
export const SMTP_AUTH_KINDS = ["password", "oauth2"] as const;
/** The resource an Exchange Online SMTP XOAUTH2 token is for. */
export const EXCHANGE_SMTP_SCOPE = "https://outlook.office365.com/.default";
/** Implicit TLS (SMTP_SECURE=true) is served on 465 (RFC 8314). */
export const DEFAULT_SMTPS_PORT = 465;

export type GraphCredentialSettings =
  | { kind: "secret"; tenantId: string; clientId: string; secret: Secret }
  /** PEM text holding the certificate and its private key. */
  | { kind: "certificate"; tenantId: string; clientId: string; pem: Secret }
  /** The app's managed identity: user-assigned when a client id is given (AZURE_CLIENT_ID), else system-assigned. */
  | { kind: "managedIdentity"; clientId?: string };

export type EmailTransportSettings =
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

/** The raw values this module reads (already trimmed; undefined = unset). */
export type EmailRaw = Partial<Record<
  | "EMAIL_TO"
  | "EMAIL_FROM"
  | "EMAIL_TRANSPORT"
  | "EMAIL_GRAPH_TENANT_ID"
  | "EMAIL_GRAPH_CLIENT_ID"
  | "EMAIL_GRAPH_CLIENT_SECRET"
  | "EMAIL_GRAPH_CERTIFICATE"
  | "EMAIL_GRAPH_BASE_URL"
  | "SMTP_HOST"
  | "SMTP_PORT"
  | "SMTP_SECURE"
  | "SMTP_REQUIRE_TLS"
  | "SMTP_USER"
  | "SMTP_PASSWORD"
  | "SMTP_AUTH"
  | "AZURE_CLIENT_ID",
  string | undefined
>>;

/** The parser's shared readers, so numbers, booleans and URLs are read (and reported) one way. */
export interface EmailParseHelpers {
  problem(variable: string, message: string): void;
  integer(variable: "SMTP_PORT", fallback: number, min: number, max: number): number;
  bool(variable: "SMTP_SECURE" | "SMTP_REQUIRE_TLS", fallback: boolean): boolean;
  url(variable: "EMAIL_GRAPH_BASE_URL"): string | undefined;
}

/**
 * A plain mailbox address: local part, "@", a dotted domain. Display names
 * ("Ops <ops@x>") are refused: the setting lists addresses only.
 */
const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && ADDRESS.test(value);
}

const GRAPH_VARIABLES = ["EMAIL_GRAPH_TENANT_ID", "EMAIL_GRAPH_CLIENT_ID", "EMAIL_GRAPH_CLIENT_SECRET", "EMAIL_GRAPH_CERTIFICATE"] as const;

/** Undefined when EMAIL_TO is unset (email off). */
export function parseEmailSettings(raw: EmailRaw, h: EmailParseHelpers): EmailSettings | undefined {
  // Read (and so validate) these even when email is off: a typo should not wait for the day email is switched on.
  const port = raw.SMTP_PORT !== undefined ? h.integer("SMTP_PORT", DEFAULT_SMTP_PORT, 1, 65535) : undefined;
  const secure = h.bool("SMTP_SECURE", false);
  const requireTls = h.bool("SMTP_REQUIRE_TLS", true);
  const baseUrl = h.url("EMAIL_GRAPH_BASE_URL") ?? DEFAULT_GRAPH_BASE_URL;

  if (raw.EMAIL_TO === undefined) {
    if (raw.EMAIL_FROM !== undefined) h.problem("EMAIL_FROM", "is set but EMAIL_TO is not: set the recipients too, or remove it");
    return undefined;
  }

  const to: string[] = [];
  const items = raw.EMAIL_TO.split(/[,;]/).map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!isEmailAddress(item)) h.problem("EMAIL_TO", `"${item}" is not an email address (list plain addresses separated by commas, e.g. oncall@contoso.com, backup-team@contoso.com)`);
    else if (!to.some((a) => a.toLowerCase() === item.toLowerCase())) to.push(item);
  }
  if (items.length === 0) h.problem("EMAIL_TO", "lists no address");

  const from = raw.EMAIL_FROM ?? "";
  if (!from) h.problem("EMAIL_FROM", "is required when EMAIL_TO is set: the mailbox alerts are sent from (e.g. backup-alerts@contoso.com)");
  else if (!isEmailAddress(from)) h.problem("EMAIL_FROM", `"${from}" is not an email address`);

  const graphGiven = GRAPH_VARIABLES.some((v) => raw[v] !== undefined) || raw.EMAIL_GRAPH_BASE_URL !== undefined;
  let kind: EmailTransportName;
  if (raw.EMAIL_TRANSPORT !== undefined) {
    const match = EMAIL_TRANSPORTS.find((t) => t === raw.EMAIL_TRANSPORT?.toLowerCase());
    if (!match) h.problem("EMAIL_TRANSPORT", `must be one of ${EMAIL_TRANSPORTS.join(", ")} (got "${raw.EMAIL_TRANSPORT}")`);
    kind = match ?? "graph";
  } else {
    // Graph when configured; SMTP when only a server is given; else Graph with the managed identity.
    kind = (!graphGiven && raw.SMTP_HOST !== undefined) || raw.SMTP_AUTH !== undefined ? "smtp" : "graph";
  }

  const transport: EmailTransportSettings =
    kind === "graph" ? { kind, credential: graphCredential(raw, h), baseUrl } : smtpTransport(raw, h, { port, secure, requireTls });
  return { to, from, transport };
}

function graphCredential(raw: EmailRaw, h: EmailParseHelpers): GraphCredentialSettings {
  const secret = raw.EMAIL_GRAPH_CLIENT_SECRET;
  const certificate = raw.EMAIL_GRAPH_CERTIFICATE;
  const tenantId = raw.EMAIL_GRAPH_TENANT_ID ?? "";
  const clientId = raw.EMAIL_GRAPH_CLIENT_ID ?? "";
  if (secret === undefined && certificate === undefined) {
    const stray = (["EMAIL_GRAPH_TENANT_ID", "EMAIL_GRAPH_CLIENT_ID"] as const).filter((v) => raw[v] !== undefined);
    if (stray.length > 0) {
      h.problem(
        stray.join(", "),
        "is set without EMAIL_GRAPH_CLIENT_SECRET or EMAIL_GRAPH_CERTIFICATE: give the app registration's secret or certificate, or remove it to send as the managed identity (AZURE_CLIENT_ID)",
      );
    }
    return { kind: "managedIdentity", ...(raw.AZURE_CLIENT_ID ? { clientId: raw.AZURE_CLIENT_ID } : {}) };
  }
  if (secret !== undefined && certificate !== undefined) {
    h.problem("EMAIL_GRAPH_CLIENT_SECRET, EMAIL_GRAPH_CERTIFICATE", "give one credential for the Graph app registration, not both");
  }
  if (!tenantId) h.problem("EMAIL_GRAPH_TENANT_ID", "is required with a client secret or certificate: the Entra tenant id (a GUID) of the app registration");
  else if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(tenantId) && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/i.test(tenantId)) {
    h.problem("EMAIL_GRAPH_TENANT_ID", `must be a tenant id (GUID) or a verified domain such as contoso.onmicrosoft.com (got "${tenantId}")`);
  }
  if (!clientId) h.problem("EMAIL_GRAPH_CLIENT_ID", "is required with a client secret or certificate: the application (client) id of the app registration");
  if (secret !== undefined) return { kind: "secret", tenantId, clientId, secret: new Secret(secret) };
  const pem = (certificate ?? "").replace(/\\n/g, "\n");
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem) || !/-----BEGIN CERTIFICATE-----/.test(pem)) {
    h.problem("EMAIL_GRAPH_CERTIFICATE", "must hold a PEM certificate and its private key (-----BEGIN CERTIFICATE----- and -----BEGIN ... PRIVATE KEY-----)");
  }
  return { kind: "certificate", tenantId, clientId, pem: new Secret(pem) };
}

function smtpTransport(
  raw: EmailRaw,
  h: EmailParseHelpers,
  read: { port: number | undefined; secure: boolean; requireTls: boolean },
): EmailTransportSettings {
  const host = raw.SMTP_HOST ?? "";
  if (!host) h.problem("SMTP_HOST", "is required when email goes through SMTP (EMAIL_TRANSPORT=smtp): the SMTP server's host name");
  const authKind = raw.SMTP_AUTH?.toLowerCase();
  if (authKind !== undefined && !SMTP_AUTH_KINDS.some((k) => k === authKind)) h.problem("SMTP_AUTH", `must be one of ${SMTP_AUTH_KINDS.join(", ")} (got "${raw.SMTP_AUTH}")`);
  if (authKind === "oauth2") return smtpOAuth2Transport(raw, h, host, read);
  const user = raw.SMTP_USER;
  const password = raw.SMTP_PASSWORD;
  if ((user === undefined) !== (password === undefined)) {
    h.problem(user === undefined ? "SMTP_USER" : "SMTP_PASSWORD", "SMTP_USER and SMTP_PASSWORD go together: set both for an authenticated server, or neither");
  }
  // A password sent over a connection that may stay unencrypted can be read by anyone on the path.
  if (password !== undefined && !read.secure && !read.requireTls && host && !isLoopbackHost(host)) {
    h.problem("SMTP_REQUIRE_TLS", "must stay true when SMTP_PASSWORD is set (or use SMTP_SECURE=true): the password would otherwise be sent unencrypted to a server that offers no STARTTLS");
  }
  return {
    ...smtpConnection(host, read),
    ...(user !== undefined && password !== undefined ? { auth: { user, password: new Secret(password) } } : {}),
  };
}

/** Where and how an SMTP transport connects, whichever way it signs in. */
function smtpConnection(host: string, read: { port: number | undefined; secure: boolean; requireTls: boolean }) {
  return {
    kind: "smtp" as const,
    host,
    port: read.port ?? (read.secure ? DEFAULT_SMTPS_PORT : DEFAULT_SMTP_PORT),
    secure: read.secure,
    requireTls: read.requireTls,
  };
}

/**
 * SMTP_AUTH=oauth2 (Exchange Online, where basic auth for SMTP goes away):
 * XOAUTH2 as SMTP_USER (default EMAIL_FROM), with a token from the same
 * credential Graph would use (EMAIL_GRAPH_* app registration, else the
 * managed identity). The token travels only over TLS.
 */
function smtpOAuth2Transport(raw: EmailRaw, h: EmailParseHelpers, host: string, read: { port: number | undefined; secure: boolean; requireTls: boolean }): EmailTransportSettings {
  if (raw.SMTP_PASSWORD !== undefined) h.problem("SMTP_PASSWORD", "must be unset with SMTP_AUTH=oauth2: the login uses a token from the app's credential");
  if (!read.secure && !read.requireTls) h.problem("SMTP_REQUIRE_TLS", "must stay true with SMTP_AUTH=oauth2 (or use SMTP_SECURE=true): the token is a credential");
  const user = raw.SMTP_USER ?? raw.EMAIL_FROM ?? "";
  return { ...smtpConnection(host, read), oauth2: { user, credential: graphCredential(raw, h) } };
}
