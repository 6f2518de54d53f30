/**
 * The app registration's certificate: loaded from PEM (certificate + private
 * key, the key possibly encrypted) or from a password-protected PFX, and used
 * to sign the JWT client assertion the token endpoint accepts instead of a
 * client secret. The private key stays inside a KeyObject and never prints.
 */
import { createHash, createPrivateKey, createPublicKey, randomUUID, sign, X509Certificate, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import type forge from "node-forge";
import type { AvePointCredential } from "../config/settings.js";
import type { Secret } from "../security/secret.js";
import { AvePointCertificateError } from "./errors.js";

type CertificateCredential = Extract<AvePointCredential, { kind: "certificate" }>;

/** How long a client assertion is valid: short, so a leaked one is useless soon. */
const ASSERTION_LIFETIME_IN_MS = 5 * 60_000;
/** Back-dating of `nbf`, for clocks that run a little ahead of the identity service's. */
const ASSERTION_CLOCK_SKEW_IN_MS = 60_000;

interface AssertionClaims {
  clientId: string;
  /** The token URL (the audience the identity service checks). */
  audience: string;
  /** Epoch ms. */
  now: number;
}

export class ClientCertificate {
  readonly #privateKey: KeyObject;
  /** base64url SHA-1 of the DER certificate (the JWT `x5t` header). */
  readonly thumbprintSha1Base64Url: string;
  /** Upper-case hex SHA-1 of the DER certificate (the JWT `kid` header; the thumbprint as Windows shows it). */
  readonly thumbprintSha1Hex: string;
  readonly notBefore: Date;
  /** When the certificate expires; the app warns ahead of it. */
  readonly notAfter: Date;
  readonly subject: string;

  constructor(certificate: X509Certificate, privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== "rsa") {
      throw new AvePointCertificateError(
        `the certificate's private key is ${privateKey.asymmetricKeyType ?? "of an unknown type"}; AvePoint client assertions are signed RS256, so an RSA key is needed`,
      );
    }
    if (!certificate.checkPrivateKey(privateKey)) {
      throw new AvePointCertificateError("the private key does not belong to the certificate (they were probably taken from different files)");
    }
    this.#privateKey = privateKey;
    const sha1 = createHash("sha1").update(certificate.raw).digest();
    this.thumbprintSha1Base64Url = sha1.toString("base64url");
    this.thumbprintSha1Hex = sha1.toString("hex").toUpperCase();
    this.notBefore = new Date(certificate.validFrom);
    this.notAfter = new Date(certificate.validTo);
    this.subject = certificate.subject;
  }

  /** A fresh RS256 client assertion (RFC 7523): iss = sub = client id, aud = token URL, new jti each time. */
  signAssertion(claims: AssertionClaims): string {
    const seconds = (ms: number) => Math.floor(ms / 1000);
    // kid beside x5t, as the vendor's .NET sample (X509SigningCredentials) sends them: validators look up either.
    const header = { alg: "RS256", typ: "JWT", kid: this.thumbprintSha1Hex, x5t: this.thumbprintSha1Base64Url };
    const payload = {
      iss: claims.clientId,
      sub: claims.clientId,
      aud: claims.audience,
      jti: randomUUID(),
      iat: seconds(claims.now),
      nbf: seconds(claims.now - ASSERTION_CLOCK_SKEW_IN_MS),
      exp: seconds(claims.now + ASSERTION_LIFETIME_IN_MS),
    };
    const signingInput = `${base64UrlJson(header)}.${base64UrlJson(payload)}`;
    const signature = sign("sha256", Buffer.from(signingInput), this.#privateKey).toString("base64url");
    return `${signingInput}.${signature}`;
  }

  toJSON(): Record<string, string> {
    return { subject: this.subject, thumbprint: this.thumbprintSha1Base64Url, notAfter: this.notAfter.toISOString() };
  }
}

function base64UrlJson(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

interface LoadCertificateOptions {
  /** Injected for tests; defaults to fs.readFile. */
  readFile?: (path: string) => Promise<Buffer>;
}

/** Loads the certificate the settings point at: a PEM value, or a file holding PEM or PFX (told apart by content). */
export async function loadClientCertificate(credential: CertificateCredential, options: LoadCertificateOptions = {}): Promise<ClientCertificate> {
  const password = credential.password;
  if (credential.source === "value") {
    if (!credential.pem) throw new AvePointCertificateError("AVEPOINT_CERTIFICATE is empty");
    return certificateFromPem(credential.pem.reveal(), password, "AVEPOINT_CERTIFICATE");
  }
  const path = credential.path;
  if (!path) throw new AvePointCertificateError("AVEPOINT_CERTIFICATE_PATH is empty");
  let bytes: Buffer;
  try {
    bytes = await (options.readFile ?? readFile)(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AvePointCertificateError(`cannot read the certificate file AVEPOINT_CERTIFICATE_PATH=${path}${code ? ` (${code})` : ""}`);
  }
  if (looksLikePem(bytes)) return certificateFromPem(bytes.toString("utf8"), password, `the PEM file ${path}`);
  return certificateFromPfx(bytes, password, `the PFX file ${path}`);
}

function looksLikePem(bytes: Buffer): boolean {
  return bytes.subarray(0, 64 * 1024).toString("latin1").includes("-----BEGIN ");
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** PEM text holding one or more certificates and one private key (PKCS#8, encrypted PKCS#8, or traditional RSA). */
export function certificateFromPem(pem: string, password: Secret | undefined, origin: string): ClientCertificate {
  const blocks = [...pem.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1] ?? "", text: m[0] }));
  const keyBlock = blocks.find((b) => b.label.endsWith("PRIVATE KEY"));
  const certBlocks = blocks.filter((b) => b.label === "CERTIFICATE");
  if (!keyBlock) throw new AvePointCertificateError(`${origin} holds no private key (expected -----BEGIN PRIVATE KEY----- next to the certificate)`);
  if (certBlocks.length === 0) throw new AvePointCertificateError(`${origin} holds no certificate (expected -----BEGIN CERTIFICATE-----)`);
  const encrypted = keyBlock.label === "ENCRYPTED PRIVATE KEY" || /Proc-Type:\s*4,ENCRYPTED/.test(keyBlock.text);
  if (encrypted && !password) {
    throw new AvePointCertificateError(`the private key in ${origin} is encrypted: set AVEPOINT_CERTIFICATE_PASSWORD`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(encrypted && password ? { key: keyBlock.text, format: "pem", passphrase: password.reveal() } : { key: keyBlock.text, format: "pem" });
  } catch {
    throw new AvePointCertificateError(
      encrypted ? `cannot decrypt the private key in ${origin}: is AVEPOINT_CERTIFICATE_PASSWORD right?` : `cannot read the private key in ${origin}`,
    );
  }
  return pickCertificateForKey(
    certBlocks.map((b) => b.text),
    key,
    origin,
  );
}

/**
 * A PKCS#12 (PFX) file, password-protected or not. node:crypto cannot read PKCS#12, so node-forge unpacks it;
 * it is imported here, so only a deployment that uses a PFX file loads it.
 */
export async function certificateFromPfx(bytes: Buffer, password: Secret | undefined, origin: string): Promise<ClientCertificate> {
  const { default: forge } = await import("node-forge");
  let p12: forge.pkcs12.Pkcs12Pfx;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(bytes.toString("binary")));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, password?.reveal() ?? "");
  } catch (err) {
    const wrongPassword = err instanceof Error && /password|mac|decrypt/i.test(err.message);
    throw new AvePointCertificateError(
      wrongPassword
        ? `cannot open ${origin}: wrong or missing AVEPOINT_CERTIFICATE_PASSWORD`
        : `${origin} is neither PEM (-----BEGIN CERTIFICATE-----) nor a readable PFX/PKCS#12 file`,
    );
  }
  const keyBags = [
    ...(p12.getBags({ bagType: forge.pki.oids.pkcs8ShroudedKeyBag! })[forge.pki.oids.pkcs8ShroudedKeyBag!] ?? []),
    ...(p12.getBags({ bagType: forge.pki.oids.keyBag! })[forge.pki.oids.keyBag!] ?? []),
  ];
  const certBags = p12.getBags({ bagType: forge.pki.oids.certBag! })[forge.pki.oids.certBag!] ?? [];
  const keyBag = keyBags[0];
  if (!keyBag) throw new AvePointCertificateError(`${origin} holds no private key`);
  let key: KeyObject;
  try {
    key = keyBag.key
      ? createPrivateKey({ key: forge.pki.privateKeyToPem(keyBag.key), format: "pem" })
      : createPrivateKey({ key: derBytes(forge, keyBag.asn1), format: "der", type: "pkcs8" });
  } catch {
    throw new AvePointCertificateError(`cannot read the private key in ${origin}`);
  }
  const certificates = certBags.flatMap((bag) => {
    if (bag.cert) return [derBytes(forge, forge.pki.certificateToAsn1(bag.cert))];
    if (bag.asn1) return [derBytes(forge, bag.asn1)];
    return [];
  });
  if (certificates.length === 0) throw new AvePointCertificateError(`${origin} holds no certificate`);
  return pickCertificateForKey(certificates, key, origin);
}

function derBytes(forge: typeof import("node-forge"), asn1: forge.asn1.Asn1 | undefined): Buffer {
  if (!asn1) throw new AvePointCertificateError("empty PKCS#12 bag");
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
}

/** A chain file may hold issuers too; the signing certificate is the one whose public key matches the private key. */
function pickCertificateForKey(certificates: Array<string | Buffer>, key: KeyObject, origin: string): ClientCertificate {
  const parsed: X509Certificate[] = [];
  for (const c of certificates) {
    try {
      parsed.push(new X509Certificate(c));
    } catch {
      throw new AvePointCertificateError(`${origin} holds a certificate that cannot be parsed`);
    }
  }
  const publicKey = createPublicKey(key);
  const match = parsed.find((c) => c.publicKey.equals(publicKey)) ?? parsed[0];
  if (!match) throw new AvePointCertificateError(`${origin} holds no certificate`);
  try {
    return new ClientCertificate(match, key);
  } catch (err) {
    if (err instanceof AvePointCertificateError) throw new AvePointCertificateError(`${origin}: ${err.message}`);
    throw err;
  }
}
