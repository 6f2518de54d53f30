/**
 * Where AvePoint lives, per environment and data center
 * (../shared/reference/avepoint/current-api/endpoints-and-security.md,
 * register-app-and-authentication.md).
 */
export const AVEPOINT_ENVIRONMENTS = ["commercial", "gov", "aos2", "fedramp"] as const;
export type AvePointEnvironment = (typeof AVEPOINT_ENVIRONMENTS)[number];

export const TOKEN_URLS: Record<AvePointEnvironment, string> = {
  commercial: "https://identity.avepointonlineservices.com/connect/token",
  gov: "https://identity-gov.avepointonlineservices.com/connect/token",
  aos2: "https://identity-aos2.avepointonlineservices.com/connect/token",
  fedramp: "https://identity.online15.net/connect/token",
};

/** Data-center codes of `https://graph-{dc}.avepointonlineservices.com`. */
export const AVEPOINT_REGIONS = [
  "us", "au", "sg", "ca", "ne", "we", "fr", "de", "jp", "kr", "ch", "uk", "uae", "za", "qa",
  "gov", "aos2", "gcp-au", "gcp-jp", "gcp-us", "gcp-we", "gcp-kr", "fedramp",
] as const;
export type AvePointRegion = (typeof AVEPOINT_REGIONS)[number];

export function apiUrlFor(region: AvePointRegion): string {
  // FedRAMP (Project Hosts) is the one data center outside the graph-{dc} naming scheme.
  if (region === "fedramp") return "https://graphusgovapi.online15.net";
  return `https://graph-${region}.avepointonlineservices.com`;
}

/** Multi-Geo locations (current-api/overview.md "Parameter: location"). */
export const AVEPOINT_LOCATIONS = [
  "PrimaryGeoLocation", "NAM", "EUR", "GBR", "JPN", "APC", "AUS", "CAN", "IND", "FRA", "ARE", "ZAF", "CHE", "KOR",
  "DEU", "BRA", "NOR", "SWE", "QAT", "POL", "ITA", "ISR", "MEX", "NZL", "ESP", "TWN",
] as const;
export type AvePointLocation = (typeof AVEPOINT_LOCATIONS)[number];

/** The environment whose identity service issues tokens for a data center (its own for gov, aos2 and FedRAMP). */
export function environmentOfRegion(region: AvePointRegion): AvePointEnvironment {
  return region === "gov" || region === "aos2" || region === "fedramp" ? region : "commercial";
}

/** The region an environment implies when AVEPOINT_REGION is not set. */
export function defaultRegionFor(environment: AvePointEnvironment): AvePointRegion {
  switch (environment) {
    case "gov":
      return "gov";
    case "aos2":
      return "aos2";
    case "fedramp":
      return "fedramp";
    case "commercial":
      return "us";
  }
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** https everywhere; plain http only to this machine (simulator, local receivers, Azurite). */
export function isAllowedUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  return url.protocol === "http:" && isLoopbackHost(url.hostname);
}

export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

/** An Entra tenant or application id as a GUID (any case; Teams and Entra send them in lower case). */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
