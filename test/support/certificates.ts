import { createHash, generateKeyPairSync } from "node:crypto";
import forge from "node-forge";

/** Options for {@link createTestCertificate}; every field has a default. */
export interface TestCertificateOptions {
  /** Subject and issuer CN. Default `cloud-backup-alerts-test`. */
  commonName?: string;
  /** Default 2020-01-01T00:00:00Z, so tests with a fixed clock in the past still see a valid certificate. */
  notBefore?: Date;
  /** Default 2049-12-31T23:59:59Z. */
  notAfter?: Date;
  /** Protects `encryptedKeyPem` and `pfx`. Default `test-password`. */
  password?: string;
  /** RSA modulus size. Default 2048 (the key is generated once per process and size). */
  keyBits?: number;
}

/** A self-signed certificate in every shape the AvePoint client may be configured with. */
export interface TestCertificate {
  certPem: string;
  /** Unencrypted PKCS#8 private key. */
  keyPem: string;
  /** PKCS#8 `ENCRYPTED PRIVATE KEY` protected with `password`. */
  encryptedKeyPem: string;
  /** Certificate followed by the unencrypted key, as some operators store it. */
  combinedPem: string;
  /** PKCS#12 (3DES, SHA-1 MAC) protected with `password`; readable by node-forge and OpenSSL. */
  pfx: Buffer;
  password: string;
  /** SHA-1 thumbprint of the DER certificate, base64url: the JWT `x5t` header. */
  thumbprintSha1Base64Url: string;
  notAfter: Date;
}

const DEFAULT_PASSWORD = "test-password";
const DEFAULT_NOT_BEFORE = new Date("2020-01-01T00:00:00Z");
const DEFAULT_NOT_AFTER = new Date("2049-12-31T23:59:59Z");

// RSA generation in pure JS (forge) takes seconds; node:crypto does it natively.
// One key per size per process keeps test files fast; certificates stay distinct
// by serial number and subject, and "wrong certificate" tests pass a different keyBits
// or use {@link createUnrelatedTestCertificate}.
const keyCache = new Map<number, string>();

function cachedKeyPem(bits: number, fresh: boolean): string {
  const cached = fresh ? undefined : keyCache.get(bits);
  if (cached !== undefined) return cached;
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: bits,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  if (!fresh) keyCache.set(bits, privateKey);
  return privateKey;
}

/** Creates a self-signed RSA certificate (SHA-256) using the process-wide cached key. */
export function createTestCertificate(options: TestCertificateOptions = {}): TestCertificate {
  return buildCertificate(options, false);
}

/**
 * Like {@link createTestCertificate} but with a freshly generated key, for tests that need
 * a certificate whose key differs from the cached one (e.g. "signed by the wrong certificate").
 */
export function createUnrelatedTestCertificate(options: TestCertificateOptions = {}): TestCertificate {
  return buildCertificate(options, true);
}

let serialCounter = 0;

function buildCertificate(options: TestCertificateOptions, freshKey: boolean): TestCertificate {
  const now = Date.now();
  const commonName = options.commonName ?? "cloud-backup-alerts-test";
  const notBefore = options.notBefore ?? DEFAULT_NOT_BEFORE;
  const notAfter = options.notAfter ?? DEFAULT_NOT_AFTER;
  const password = options.password ?? DEFAULT_PASSWORD;
  const keyBits = options.keyBits ?? 2048;

  const keyPem = cachedKeyPem(keyBits, freshKey);
  const privateKey = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.rsa.setPublicKey(privateKey.n, privateKey.e);

  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  serialCounter += 1;
  // Positive serial (leading 01) that differs per certificate in this process.
  cert.serialNumber = `01${now.toString(16)}${serialCounter.toString(16).padStart(4, "0")}`;
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  const attrs = [{ name: "commonName", value: commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
  ]);
  cert.sign(privateKey, forge.md.sha256.create());

  const certPem = forge.pki.certificateToPem(cert);
  const der = Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), "binary");
  const thumbprintSha1Base64Url = createHash("sha1").update(der).digest("base64url");

  const encryptedKeyPem = forge.pki.encryptedPrivateKeyToPem(
    forge.pki.encryptPrivateKeyInfo(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(privateKey)), password, {
      algorithm: "aes256",
    }),
  );

  const p12 = forge.pkcs12.toPkcs12Asn1(privateKey, [cert], password, { algorithm: "3des" });
  const pfx = Buffer.from(forge.asn1.toDer(p12).getBytes(), "binary");

  return {
    certPem,
    keyPem,
    encryptedKeyPem,
    combinedPem: `${certPem.trimEnd()}\n${keyPem.trimEnd()}\n`,
    pfx,
    password,
    thumbprintSha1Base64Url,
    notAfter,
  };
}
