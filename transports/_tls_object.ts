// What a TLS transport tells about its session: `getExtraInfo("ssl_object")`
// (Python's `ssl.SSLObject`), `("peercert")` and `("cipher")`, in Python's
// shapes, from what `node:tls` reports.
import { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";
import type { SSLContext } from "./_tls_context.ts";

/** A distinguished name, as Python gives it: a list of RDNs, each a list of `[name, value]`. */
export type DistinguishedName = [string, string][][];

/**
 * The peer's certificate, as Python's `SSLSocket.getpeercert()`:
 * `subject`, `issuer`, `version`, `serialNumber`, `notBefore`,
 * `notAfter`, and `subjectAltName` (`[["DNS", "localhost"], ["IP Address",
 * "127.0.0.1"]]`) when it has one.
 */
export interface PeerCertificate {
  /** Whom the certificate is for: `[[["commonName", "localhost"]]]`. */
  subject: DistinguishedName;
  /** Who signed it. */
  issuer: DistinguishedName;
  /** The X.509 version (3). */
  version: number;
  /** The serial number, in upper-case hexadecimal. */
  serialNumber: string;
  /** Valid from, as `"Jan  1 00:00:00 2025 GMT"`. */
  notBefore: string;
  /** Valid until, in the same form. */
  notAfter: string;
  /** The alternative names: `["DNS", name]`, `["IP Address", address]`, ... */
  subjectAltName?: [string, string][];
  /** OCSP responders. */
  OCSP?: string[];
  /** Where the issuer's certificate can be found. */
  caIssuers?: string[];
}

/** `[name, protocol version, secret bits]`, as Python's `SSLSocket.cipher()`. */
export type CipherInfo = [string, string, number];

// OpenSSL's short attribute names, as Python spells them.
const LONG_NAMES: Record<string, string> = {
  CN: "commonName",
  C: "countryName",
  ST: "stateOrProvinceName",
  L: "localityName",
  O: "organizationName",
  OU: "organizationalUnitName",
  emailAddress: "emailAddress",
  DC: "domainComponent",
  serialNumber: "serialNumber",
  street: "streetAddress",
  postalCode: "postalCode",
  GN: "givenName",
  SN: "surname",
  title: "title",
  UID: "userId",
  businessCategory: "businessCategory",
};

// X509Certificate's names keep the certificate's order: "C=FR\nO=Org\nCN=host".
function distinguishedName(text: string): DistinguishedName {
  const out: DistinguishedName = [];
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    out.push([[LONG_NAMES[key] ?? key, line.slice(eq + 1)]]);
  }
  return out;
}

function altNames(text: string | undefined): [string, string][] | undefined {
  if (!text) return undefined;
  const out: [string, string][] = [];
  for (const part of text.split(/, (?=[A-Za-z ]+:)/)) {
    const colon = part.indexOf(":");
    if (colon < 0) continue;
    out.push([part.slice(0, colon), part.slice(colon + 1).replace(/^"(.*)"$/, "$1")]);
  }
  return out;
}

function accessUris(text: string | undefined, kind: string): string[] | undefined {
  if (!text) return undefined;
  const prefix = `${kind} - URI:`;
  const uris = text.split("\n").filter((line) => line.startsWith(prefix)).map((line) =>
    line.slice(prefix.length)
  );
  return uris.length > 0 ? uris : undefined;
}

/** Python's dictionary form of a certificate (DER bytes). */
export function toPeerCertificate(der: Uint8Array): PeerCertificate {
  const cert = new X509Certificate(der);
  const out: PeerCertificate = {
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    version: 3,
    serialNumber: cert.serialNumber.toUpperCase(),
    notBefore: cert.validFrom,
    notAfter: cert.validTo,
  };
  const san = altNames(cert.subjectAltName);
  if (san !== undefined) out.subjectAltName = san;
  const ocsp = accessUris(cert.infoAccess, "OCSP");
  if (ocsp !== undefined) out.OCSP = ocsp;
  const caIssuers = accessUris(cert.infoAccess, "CA Issuers");
  if (caIssuers !== undefined) out.caIssuers = caIssuers;
  return out;
}

function secretBits(name: string): number {
  if (/CHACHA20|AES_?256/i.test(name)) return 256;
  if (/AES_?128/i.test(name)) return 128;
  return 0;
}

/**
 * The TLS session of a connection, as Python's `ssl.SSLObject`:
 * `getExtraInfo("ssl_object")` of a TLS transport. It answers what the
 * handshake settled: the ALPN protocol, the version, the cipher, the
 * peer's certificate.
 *
 * @example
 * ```ts
 * import { SSLObject } from "@asyncio/asyncio";
 * // A TLS transport's transport.getExtraInfo("ssl_object") is one:
 * console.log(typeof SSLObject.prototype.selectedAlpnProtocol); // "function"
 * ```
 */
export class SSLObject {
  /** The context the connection was made with. */
  readonly context: SSLContext;
  /** Whether this is the server side. */
  readonly serverSide: boolean;
  /** The host name the client asked for (`null` on the server side). */
  readonly serverHostname: string | null;
  #alpn: string | null;
  #version: string | null;
  #cipher: CipherInfo | null;
  #peercert: PeerCertificate | null | Record<string, never>;
  #peercertDer: Uint8Array | null;

  /** @internal Made by the TLS layer once the handshake is complete. */
  constructor(
    context: SSLContext,
    serverSide: boolean,
    serverHostname: string | null,
    socket: TLSSocket,
    verified: boolean,
  ) {
    this.context = context;
    this.serverSide = serverSide;
    this.serverHostname = serverSide ? null : serverHostname;
    const alpn = socket.alpnProtocol;
    this.#alpn = typeof alpn === "string" && alpn !== "" ? alpn : null;
    this.#version = socket.getProtocol() ?? null;
    const cipher = socket.getCipher();
    this.#cipher = cipher
      ? [
        cipher.name,
        this.#version ?? cipher.version,
        secretBits(cipher.standardName ?? cipher.name),
      ]
      : null;
    const cert = serverSide ? null : socket.getPeerCertificate(false);
    const raw = cert?.raw;
    if (!raw || raw.length === 0) {
      this.#peercert = null;
      this.#peercertDer = null;
    } else {
      this.#peercertDer = new Uint8Array(raw);
      // Python gives an empty dictionary for a certificate it did not check.
      this.#peercert = verified ? toPeerCertificate(this.#peercertDer) : {};
    }
  }

  /** The protocol ALPN settled on, or `null`. */
  selectedAlpnProtocol(): string | null {
    return this.#alpn;
  }

  /** The TLS version: `"TLSv1.3"` or `"TLSv1.2"`. */
  version(): string | null {
    return this.#version;
  }

  /** `[name, version, secret bits]`, e.g. `["TLS_AES_256_GCM_SHA384", "TLSv1.3", 256]`. */
  cipher(): CipherInfo | null {
    return this.#cipher === null ? null : [...this.#cipher];
  }

  /** Compression is never used: `null`, as Python's `compression()`. */
  compression(): null {
    return null;
  }

  /**
   * The peer's certificate: Python's dictionary form (empty when it was
   * not verified), or its DER bytes with `binaryForm`; `null` when the
   * peer sent none (a client, seen from the server).
   */
  getpeercert(binaryForm?: false): PeerCertificate | Record<string, never> | null;
  /** The peer's certificate as DER bytes, or `null`. */
  getpeercert(binaryForm: true): Uint8Array | null;
  getpeercert(
    binaryForm = false,
  ): PeerCertificate | Record<string, never> | Uint8Array | null {
    if (binaryForm) return this.#peercertDer === null ? null : this.#peercertDer.slice();
    return this.#peercert === null ? null : structuredClone(this.#peercert);
  }

  /** A description such as `<SSLObject client TLSv1.3>`. */
  toString(): string {
    return `<SSLObject ${this.serverSide ? "server" : "client"} ${this.#version}>`;
  }
}
