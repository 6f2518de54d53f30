import { createPrivateKey, X509Certificate, verify } from "node:crypto";
import { inspect } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { certificateFromPem, certificateFromPfx, loadClientCertificate, type ClientCertificate } from "../../shared/avepoint/certificate.js";
import { AvePointCertificateError } from "../../shared/avepoint/errors.js";
import { Secret } from "../../shared/security/secret.js";
import { createTestCertificate, createUnrelatedTestCertificate, type TestCertificate } from "../support/certificates.js";

let cert: TestCertificate;
let other: TestCertificate;

beforeAll(() => {
  cert = createTestCertificate({ password: "unit-pass", notAfter: new Date("2031-05-04T03:02:01Z") });
  other = createUnrelatedTestCertificate();
});

function decode(segment: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(segment, "base64url").toString("utf8")) as Record<string, unknown>;
}

describe("loading", () => {
  const shapes: Array<[string, () => ClientCertificate | Promise<ClientCertificate>]> = [
    ["combined PEM", () => certificateFromPem(cert.combinedPem, undefined, "test")],
    ["key before certificate", () => certificateFromPem(`${cert.keyPem}\n${cert.certPem}`, undefined, "test")],
    ["encrypted PKCS#8 key", () => certificateFromPem(`${cert.certPem}${cert.encryptedKeyPem}`, new Secret("unit-pass"), "test")],
    [
      "traditional encrypted RSA key (Proc-Type: 4,ENCRYPTED)",
      () => {
        const pkcs1 = createPrivateKey(cert.keyPem).export({ type: "pkcs1", format: "pem", cipher: "aes-256-cbc", passphrase: "unit-pass" }) as string;
        expect(pkcs1).toContain("Proc-Type: 4,ENCRYPTED");
        return certificateFromPem(`${cert.certPem}${pkcs1}`, new Secret("unit-pass"), "test");
      },
    ],
    ["PFX", () => certificateFromPfx(cert.pfx, new Secret("unit-pass"), "test")],
  ];

  it.each(shapes)("reads a %s: x5t thumbprint and notAfter", async (_name, load) => {
    const loaded = await load();
    expect(loaded.thumbprintSha1Base64Url).toBe(cert.thumbprintSha1Base64Url);
    expect(loaded.notAfter).toEqual(new Date("2031-05-04T03:02:01Z"));
  });

  it("picks the certificate that belongs to the key from a chain", () => {
    const loaded = certificateFromPem(`${other.certPem}${cert.certPem}${cert.keyPem}`, undefined, "test");
    expect(loaded.thumbprintSha1Base64Url).toBe(cert.thumbprintSha1Base64Url);
  });

  it("tells PEM from PFX by content when reading a file", async () => {
    const files: Record<string, Buffer> = { "/a.pem": Buffer.from(cert.combinedPem), "/b.bin": cert.pfx };
    const readFile = async (path: string) => files[path]!;
    const password = new Secret("unit-pass");
    for (const path of Object.keys(files)) {
      const loaded = await loadClientCertificate({ kind: "certificate", source: "file", path, password }, { readFile });
      expect(loaded.thumbprintSha1Base64Url).toBe(cert.thumbprintSha1Base64Url);
    }
  });

  it.each([
    ["no key", () => certificateFromPem(cert.certPem, undefined, "X"), /X holds no private key/],
    ["no certificate", () => certificateFromPem(cert.keyPem, undefined, "X"), /X holds no certificate/],
    ["a key of another certificate", () => certificateFromPem(`${cert.certPem}${other.keyPem}`, undefined, "X"), /does not belong to the certificate/],
    ["an encrypted key without a password", () => certificateFromPem(`${cert.certPem}${cert.encryptedKeyPem}`, undefined, "X"), /encrypted: set AVEPOINT_CERTIFICATE_PASSWORD/],
    ["a wrong PFX password", () => certificateFromPfx(cert.pfx, new Secret("nope"), "X"), /wrong or missing AVEPOINT_CERTIFICATE_PASSWORD/],
    ["bytes that are neither", () => certificateFromPfx(Buffer.from("hello world"), undefined, "X"), /neither PEM .* nor a readable PFX/],
  ])("explains %s", async (_name, load, message) => {
    // certificateFromPem throws, certificateFromPfx (which imports node-forge) rejects: both are the same failure.
    const failure = Promise.resolve().then(load);
    await expect(failure).rejects.toThrow(AvePointCertificateError);
    await expect(failure).rejects.toThrow(message);
  });
});

describe("client assertion", () => {
  it("is an RS256 JWT with x5t, iss = sub = client id, aud, fresh jti and a short validity, verifiable with the certificate", () => {
    const loaded = certificateFromPem(cert.combinedPem, undefined, "test");
    const now = Date.UTC(2025, 0, 6, 12, 0, 0);
    const a = loaded.signAssertion({ clientId: "client-1", audience: "https://id.example/connect/token", now });
    const b = loaded.signAssertion({ clientId: "client-1", audience: "https://id.example/connect/token", now });
    const [header, payload, signature] = a.split(".") as [string, string, string];
    // kid: the same SHA-1 in upper-case hex (review D8).
    const kid = Buffer.from(cert.thumbprintSha1Base64Url, "base64url").toString("hex").toUpperCase();
    expect(decode(header)).toEqual({ alg: "RS256", typ: "JWT", kid, x5t: cert.thumbprintSha1Base64Url });
    expect(decode(payload)).toMatchObject({
      iss: "client-1",
      sub: "client-1",
      aud: "https://id.example/connect/token",
      iat: now / 1000,
      nbf: now / 1000 - 60,
      exp: now / 1000 + 300,
    });
    expect(decode(payload).jti).not.toBe(decode(b.split(".")[1]!).jti);
    const publicKey = new X509Certificate(cert.certPem).publicKey;
    expect(verify("sha256", Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, "base64url"))).toBe(true);
  });

  it("never prints the private key", () => {
    const loaded = certificateFromPem(cert.combinedPem, undefined, "test");
    const printed = `${inspect(loaded)} ${JSON.stringify(loaded)} ${String(loaded)}`;
    const keyBody = cert.keyPem.split("\n")[1]!;
    expect(printed).not.toContain(keyBody);
    expect(JSON.stringify(loaded)).toContain(cert.thumbprintSha1Base64Url);
  });
});
