/**
 * Verifies a JWT client assertion (RFC 7523) the way AvePoint's identity service
 * does for certificate credentials: RS256 signed by the registered certificate's key,
 * `x5t` naming that certificate, `iss` = `sub` = client id, `aud` = the token URL,
 * a live `exp`/`nbf` window and a `jti` that is never reused.
 */
import { X509Certificate, createHash, verify } from "node:crypto";

export interface AssertionExpectations {
  clientId: string;
  audience: string;
  certificatePem: string;
  nowMs: number;
  /** Tolerated clock difference between client and server. */
  skewInMs: number;
}

export type AssertionVerdict = { ok: true; jti: string; expiresAtMs: number } | { ok: false; reason: string };

function decodeJsonSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function certificateThumbprint(certificatePem: string): string {
  return createHash("sha1").update(new X509Certificate(certificatePem).raw).digest("base64url");
}

export function verifyClientAssertion(assertion: string, expected: AssertionExpectations): AssertionVerdict {
  const parts = assertion.split(".");
  if (parts.length !== 3) return { ok: false, reason: "client_assertion is not a compact JWS (header.payload.signature)" };
  const [headerSegment, payloadSegment, signatureSegment] = parts as [string, string, string];
  const header = decodeJsonSegment(headerSegment);
  const payload = decodeJsonSegment(payloadSegment);
  if (!header || !payload) return { ok: false, reason: "client_assertion header or payload is not base64url JSON" };
  if (header.alg !== "RS256") return { ok: false, reason: `client_assertion alg must be RS256, got ${String(header.alg)}` };

  const certificate = new X509Certificate(expected.certificatePem);
  const nowMs = expected.nowMs;
  if (Date.parse(certificate.validTo) < nowMs || Date.parse(certificate.validFrom) > nowMs) {
    return { ok: false, reason: "the registered certificate is outside its validity period" };
  }
  if (header.x5t !== certificateThumbprint(expected.certificatePem)) {
    return { ok: false, reason: "client_assertion x5t does not match the registered certificate" };
  }
  const signedOk = verify(
    "RSA-SHA256",
    Buffer.from(`${headerSegment}.${payloadSegment}`, "ascii"),
    certificate.publicKey,
    Buffer.from(signatureSegment, "base64url"),
  );
  if (!signedOk) return { ok: false, reason: "client_assertion signature does not verify against the registered certificate" };

  if (payload.iss !== expected.clientId || payload.sub !== expected.clientId) {
    return { ok: false, reason: "client_assertion iss and sub must both be the client id" };
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.includes(expected.audience)) {
    return { ok: false, reason: `client_assertion aud must be the token endpoint ${expected.audience}` };
  }
  if (typeof payload.exp !== "number") return { ok: false, reason: "client_assertion has no numeric exp" };
  const expiresAtMs = payload.exp * 1000;
  if (expiresAtMs + expected.skewInMs <= nowMs) return { ok: false, reason: "client_assertion has expired" };
  if (payload.nbf !== undefined) {
    if (typeof payload.nbf !== "number") return { ok: false, reason: "client_assertion nbf is not numeric" };
    if (payload.nbf * 1000 - expected.skewInMs > nowMs) return { ok: false, reason: "client_assertion is not valid yet (nbf)" };
  }
  if (typeof payload.jti !== "string" || payload.jti.length === 0) return { ok: false, reason: "client_assertion has no jti" };
  return { ok: true, jti: payload.jti, expiresAtMs };
}
