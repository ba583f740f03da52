// SSLContext and its helpers: Python's `ssl.SSLContext`, reduced to what
// Deno's TLS (rustls, behind `node:tls`) can honour. Certificates and keys
// are read and checked when they are loaded, so a bad path or a bad PEM
// fails at the call, not at the first connection.
import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { NotImplementedError } from "../loop/exceptions.ts";
import { readTextFileSync } from "../loop/_permissions.ts";

/**
 * Python's `ssl.PROTOCOL_TLS_CLIENT`: a context for the client side.
 *
 * @example
 * ```ts
 * import { PROTOCOL_TLS_CLIENT, SSLContext } from "@asyncio/asyncio";
 * const context = new SSLContext(PROTOCOL_TLS_CLIENT);
 * console.log(context.checkHostname); // true
 * ```
 */
export const PROTOCOL_TLS_CLIENT = 16;
/**
 * Python's `ssl.PROTOCOL_TLS_SERVER`: a context for the server side.
 *
 * @example
 * ```ts
 * import { PROTOCOL_TLS_SERVER, SSLContext } from "@asyncio/asyncio";
 * const context = new SSLContext(PROTOCOL_TLS_SERVER);
 * console.log(context.checkHostname); // false
 * ```
 */
export const PROTOCOL_TLS_SERVER = 17;

/**
 * Python's `ssl.CERT_NONE`: the peer's certificate is not checked.
 *
 * @example
 * ```ts
 * import { CERT_NONE, PROTOCOL_TLS_CLIENT, SSLContext } from "@asyncio/asyncio";
 * const context = new SSLContext(PROTOCOL_TLS_CLIENT);
 * context.checkHostname = false;
 * context.verifyMode = CERT_NONE; // trust any server: for tests only
 * console.log(context.verifyMode === CERT_NONE); // true
 * ```
 */
export const CERT_NONE = 0;
/**
 * Python's `ssl.CERT_OPTIONAL`: on a client, the same as `CERT_REQUIRED`.
 *
 * @example
 * ```ts
 * import { CERT_OPTIONAL, PROTOCOL_TLS_CLIENT, SSLContext } from "@asyncio/asyncio";
 * const context = new SSLContext(PROTOCOL_TLS_CLIENT);
 * context.verifyMode = CERT_OPTIONAL;
 * console.log(context.verifyMode === CERT_OPTIONAL); // true
 * ```
 */
export const CERT_OPTIONAL = 1;
/**
 * Python's `ssl.CERT_REQUIRED`: the peer must present a valid certificate.
 *
 * @example
 * ```ts
 * import { CERT_REQUIRED, PROTOCOL_TLS_CLIENT, SSLContext } from "@asyncio/asyncio";
 * const context = new SSLContext(PROTOCOL_TLS_CLIENT);
 * console.log(context.verifyMode === CERT_REQUIRED); // true: the client default
 * ```
 */
export const CERT_REQUIRED = 2;

/**
 * What a context is for, as Python's `ssl.Purpose`: `SERVER_AUTH` makes a
 * client context (it authenticates servers), `CLIENT_AUTH` a server one.
 *
 * @example
 * ```ts
 * import { createDefaultContext, Purpose } from "@asyncio/asyncio";
 * const client = createDefaultContext(Purpose.SERVER_AUTH);
 * console.log(client.checkHostname); // true
 * const server = createDefaultContext(Purpose.CLIENT_AUTH);
 * console.log(server.checkHostname); // false
 * ```
 */
export const Purpose: {
  /** A client context: it checks the server's certificate and host name. */
  readonly SERVER_AUTH: "SERVER_AUTH";
  /** A server context: give it a certificate with `loadCertChain`. */
  readonly CLIENT_AUTH: "CLIENT_AUTH";
} = Object.freeze({ SERVER_AUTH: "SERVER_AUTH", CLIENT_AUTH: "CLIENT_AUTH" });

/** `Purpose.SERVER_AUTH` or `Purpose.CLIENT_AUTH`. */
export type Purpose = typeof Purpose[keyof typeof Purpose];

/**
 * TLS protocol versions, as Python's `ssl.TLSVersion`, for
 * `SSLContext.minimumVersion` and `maximumVersion`. Deno's TLS speaks
 * TLS 1.2 and 1.3 only: asking for older versions throws
 * `NotImplementedError`.
 *
 * @example
 * ```ts
 * import { SSLContext, TLSVersion } from "@asyncio/asyncio";
 * const context = new SSLContext();
 * context.minimumVersion = TLSVersion.TLSv1_3;
 * console.log(context.minimumVersion === TLSVersion.TLSv1_3); // true
 * ```
 */
export const TLSVersion: {
  /** The oldest version the TLS library supports (TLS 1.2 here). */
  readonly MINIMUM_SUPPORTED: -2;
  /** TLS 1.0: not available in Deno. */
  readonly TLSv1: 0x0301;
  /** TLS 1.1: not available in Deno. */
  readonly TLSv1_1: 0x0302;
  /** TLS 1.2. */
  readonly TLSv1_2: 0x0303;
  /** TLS 1.3. */
  readonly TLSv1_3: 0x0304;
  /** The newest version the TLS library supports (TLS 1.3 here). */
  readonly MAXIMUM_SUPPORTED: -1;
} = Object.freeze(
  {
    MINIMUM_SUPPORTED: -2,
    TLSv1: 0x0301,
    TLSv1_1: 0x0302,
    TLSv1_2: 0x0303,
    TLSv1_3: 0x0304,
    MAXIMUM_SUPPORTED: -1,
  } as const,
);

/** One of `TLSVersion`'s values. */
export type TLSVersion = typeof TLSVersion[keyof typeof TLSVersion];

const VERSION_NAMES: Record<number, "TLSv1.2" | "TLSv1.3"> = {
  [TLSVersion.TLSv1_2]: "TLSv1.2",
  [TLSVersion.TLSv1_3]: "TLSv1.3",
};

/** Where `loadVerifyLocations` and `createDefaultContext` find CA certificates. */
export interface VerifyLocations {
  /** A PEM file of one or more CA certificates. */
  cafile?: string | null;
  /**
   * A directory of hashed CA certificate files: not available (Deno's TLS
   * takes certificates, not directories); use `cafile` or `cadata`.
   */
  capath?: string | null;
  /** CA certificates as PEM text, or as DER bytes (one or more, concatenated). */
  cadata?: string | Uint8Array | null;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK =
  /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/;

function badPem(what: string, cause?: unknown): Deno.errors.InvalidData {
  return new Deno.errors.InvalidData(what, cause === undefined ? undefined : { cause });
}

/** The certificates of a PEM text, each checked; `InvalidData` when there is none. */
function parsePemCertificates(text: string, where: string): X509Certificate[] {
  const blocks = text.match(CERT_BLOCK) ?? [];
  if (blocks.length === 0) throw badPem(`no PEM certificate found in ${where}`);
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw badPem(`certificate ${i + 1} in ${where} is not valid`, error);
    }
  });
}

/** Splits concatenated DER certificates (each an ASN.1 SEQUENCE). */
function parseDerCertificates(data: Uint8Array): X509Certificate[] {
  const out: X509Certificate[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (data[offset] !== 0x30 || offset + 2 > data.length) {
      throw badPem("cadata: not DER certificates");
    }
    let length = data[offset + 1];
    let header = 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      if (count === 0 || count > 4 || offset + 2 + count > data.length) {
        throw badPem("cadata: not DER certificates");
      }
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + data[offset + 2 + i];
      header += count;
    }
    const end = offset + header + length;
    if (end > data.length) throw badPem("cadata: truncated DER certificate");
    try {
      out.push(new X509Certificate(data.subarray(offset, end)));
    } catch (error) {
      throw badPem("cadata: not a valid DER certificate", error);
    }
    offset = end;
  }
  if (out.length === 0) throw badPem("cadata: no certificate");
  return out;
}

/** The password of an encrypted key: text, bytes, or a function returning either. */
export type KeyPassword = string | Uint8Array | (() => string | Uint8Array);

function readKey(text: string, where: string, password: KeyPassword | null): KeyObject {
  const block = KEY_BLOCK.exec(text)?.[0];
  if (block === undefined) throw badPem(`no PEM private key found in ${where}`);
  const encrypted = block.startsWith("-----BEGIN ENCRYPTED");
  if (encrypted && (password === null || password === undefined)) {
    throw badPem(`the private key in ${where} is encrypted: give loadCertChain() its password`);
  }
  let passphrase: string | Uint8Array | undefined;
  if (encrypted) {
    passphrase = typeof password === "function" ? password() : password!;
    if (typeof passphrase !== "string" && !(passphrase instanceof Uint8Array)) {
      throw new TypeError("password should be a string or bytes, or a function returning one");
    }
  }
  try {
    return createPrivateKey(
      passphrase === undefined ? block : { key: block, passphrase: passphrase as string },
    );
  } catch (error) {
    throw badPem(
      encrypted
        ? `cannot decrypt the private key in ${where} (wrong password?)`
        : `the private key in ${where} is not valid`,
      error,
    );
  }
}

/** What a context gives `node:tls` for one connection. */
export interface NodeTlsSettings {
  /** CA certificates (PEM); `undefined` for the default roots. */
  ca?: string[];
  /** The certificate chain (PEM). */
  cert?: string;
  /** The private key (PKCS #8 PEM). */
  key?: string;
  minVersion?: "TLSv1.2" | "TLSv1.3";
  maxVersion?: "TLSv1.2" | "TLSv1.3";
  ALPNProtocols?: string[];
}

/**
 * A TLS configuration, as Python's `ssl.SSLContext`: the certificates to
 * present (`loadCertChain`), the ones to trust (`loadVerifyLocations`,
 * `loadDefaultCerts`), `checkHostname`, `verifyMode`, ALPN and the
 * protocol versions. Pass it as `ssl:` to `createConnection`,
 * `createServer`, `openConnection`, `startServer`, or to `startTls`.
 * Files are read when loaded. What Deno's TLS cannot honour throws
 * `NotImplementedError` naming it.
 *
 * @example
 * ```ts
 * import { CERT_REQUIRED, PROTOCOL_TLS_CLIENT, SSLContext } from "@asyncio/asyncio";
 * const context = new SSLContext(PROTOCOL_TLS_CLIENT);
 * console.log(context.checkHostname, context.verifyMode === CERT_REQUIRED); // true true
 * context.setAlpnProtocols(["h2", "http/1.1"]);
 * ```
 */
export class SSLContext {
  /** `PROTOCOL_TLS_CLIENT` or `PROTOCOL_TLS_SERVER`. */
  readonly protocol: number;
  #checkHostname: boolean;
  #verifyMode: number;
  #defaultCerts = false;
  #caCerts: string[] = [];
  #certChain: string | null = null;
  #key: string | null = null;
  #alpn: string[] | null = null;
  #minimum: TLSVersion = TLSVersion.MINIMUM_SUPPORTED;
  #maximum: TLSVersion = TLSVersion.MAXIMUM_SUPPORTED;
  #version = 0;

  /**
   * A context for one side: `PROTOCOL_TLS_CLIENT` (the default) checks the
   * server's certificate and host name, `PROTOCOL_TLS_SERVER` checks
   * nothing. Unlike `createDefaultContext`, it trusts no CA until one is
   * loaded.
   */
  constructor(protocol: number = PROTOCOL_TLS_CLIENT) {
    if (protocol !== PROTOCOL_TLS_CLIENT && protocol !== PROTOCOL_TLS_SERVER) {
      throw new RangeError(
        "SSLContext(protocol): protocol must be PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER " +
          "(Deno's TLS has no other protocol)",
      );
    }
    this.protocol = protocol;
    const client = protocol === PROTOCOL_TLS_CLIENT;
    this.#checkHostname = client;
    this.#verifyMode = client ? CERT_REQUIRED : CERT_NONE;
  }

  /** Whether the server's certificate must match the host name (client side). */
  get checkHostname(): boolean {
    return this.#checkHostname;
  }

  /** Turning it on also sets `verifyMode` to `CERT_REQUIRED`, as in Python. */
  set checkHostname(value: boolean) {
    this.#checkHostname = Boolean(value);
    if (this.#checkHostname && this.#verifyMode === CERT_NONE) this.#verifyMode = CERT_REQUIRED;
    this.#version++;
  }

  /** `CERT_NONE`, `CERT_OPTIONAL` or `CERT_REQUIRED`. */
  get verifyMode(): number {
    return this.#verifyMode;
  }

  /**
   * `CERT_NONE` needs `checkHostname` off first (`RangeError`, Python's
   * `ValueError`). On a server, anything but `CERT_NONE` asks for client
   * certificates, which Deno's TLS server cannot do: using such a context
   * for a server throws `NotImplementedError`.
   */
  set verifyMode(value: number) {
    if (value !== CERT_NONE && value !== CERT_OPTIONAL && value !== CERT_REQUIRED) {
      throw new RangeError("verifyMode must be CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED");
    }
    if (value === CERT_NONE && this.#checkHostname) {
      throw new RangeError("Cannot set verifyMode to CERT_NONE when checkHostname is enabled.");
    }
    this.#verifyMode = value;
    this.#version++;
  }

  /** The oldest TLS version allowed (`TLSVersion`). */
  get minimumVersion(): TLSVersion {
    return this.#minimum;
  }

  /** TLS 1.2 or 1.3 (or `MINIMUM_SUPPORTED`/`MAXIMUM_SUPPORTED`). */
  set minimumVersion(value: TLSVersion) {
    this.#minimum = checkVersion(value, "minimumVersion");
    this.#version++;
  }

  /** The newest TLS version allowed (`TLSVersion`). */
  get maximumVersion(): TLSVersion {
    return this.#maximum;
  }

  /** TLS 1.2 or 1.3 (or `MINIMUM_SUPPORTED`/`MAXIMUM_SUPPORTED`). */
  set maximumVersion(value: TLSVersion) {
    this.#maximum = checkVersion(value, "maximumVersion");
    this.#version++;
  }

  /**
   * Loads the certificate chain this side presents, and its private key
   * (from `keyfile`, or from `certfile` when it holds both). Reads the
   * files now: a missing file throws `Deno.errors.NotFound`, a file that is
   * not PEM, or a key that does not match the certificate,
   * `Deno.errors.InvalidData` (Python's `ssl.SSLError`). An encrypted key
   * needs `password`.
   */
  loadCertChain(
    certfile: string,
    keyfile: string | null = null,
    password: KeyPassword | null = null,
  ): void {
    if (typeof certfile !== "string") throw new TypeError("certfile should be a path string");
    if (keyfile !== null && typeof keyfile !== "string") {
      throw new TypeError("keyfile should be a path string or null");
    }
    const certText = readTextFileSync(certfile);
    const keyText = keyfile === null ? certText : readTextFileSync(keyfile);
    const certs = parsePemCertificates(certText, certfile);
    const key = readKey(keyText, keyfile ?? certfile, password);
    if (!certs[0].checkPrivateKey(key)) {
      throw badPem(`the private key in ${keyfile ?? certfile} does not match ${certfile}`);
    }
    this.#certChain = certs.map((cert) => cert.toString()).join("\n");
    this.#key = key.export({ format: "pem", type: "pkcs8" }) as string;
    this.#version++;
  }

  /**
   * Trusts the CA certificates of `cafile` (a PEM file) and/or `cadata`
   * (PEM text or DER bytes), besides those already loaded. A context made
   * with `cafile`/`cadata` trusts only those (Deno's default roots are
   * not added), as in Python.
   */
  loadVerifyLocations(locations: VerifyLocations = {}): void {
    const { cafile = null, capath = null, cadata = null } = locations ?? {};
    if (capath !== null) {
      throw new NotImplementedError(
        "loadVerifyLocations(): capath cannot be honoured: Deno's TLS takes certificates, not a " +
          "directory of hashed files; pass the CA file as cafile (or its text as cadata)",
      );
    }
    if (cafile === null && cadata === null) {
      throw new TypeError("cafile, capath and cadata cannot be all omitted");
    }
    const loaded: X509Certificate[] = [];
    if (cafile !== null) {
      if (typeof cafile !== "string") throw new TypeError("cafile should be a path string");
      loaded.push(...parsePemCertificates(readTextFileSync(cafile), cafile));
    }
    if (cadata !== null) {
      if (typeof cadata === "string") loaded.push(...parsePemCertificates(cadata, "cadata"));
      else if (cadata instanceof Uint8Array) loaded.push(...parseDerCertificates(cadata));
      else throw new TypeError("cadata should be PEM text or DER bytes");
    }
    for (const cert of loaded) this.#caCerts.push(cert.toString());
    this.#version++;
  }

  /**
   * Trusts Deno's default root certificates (Mozilla's, or the system's
   * with `DENO_TLS_CA_STORE=system`), as Python's `load_default_certs`.
   */
  loadDefaultCerts(_purpose: Purpose = Purpose.SERVER_AUTH): void {
    this.#defaultCerts = true;
    this.#version++;
  }

  /** Offers these ALPN protocols, in order of preference (`["h2", "http/1.1"]`). */
  setAlpnProtocols(protocols: Iterable<string>): void {
    if (protocols === null || typeof protocols !== "object" && typeof protocols !== "string") {
      throw new TypeError("setAlpnProtocols() takes a list of strings");
    }
    const list = [...protocols];
    for (const name of list) {
      if (typeof name !== "string") throw new TypeError("ALPN protocols must be strings");
      const size = new TextEncoder().encode(name).length;
      if (size === 0 || size > 255) {
        throw new RangeError(`ALPN protocols must be 1 to 255 bytes long, got ${size}`);
      }
    }
    this.#alpn = list;
    this.#version++;
  }

  /** A description such as `<SSLContext client verifyMode=2 checkHostname=true>`. */
  toString(): string {
    const side = this.protocol === PROTOCOL_TLS_SERVER ? "server" : "client";
    return `<SSLContext ${side} verifyMode=${this.#verifyMode} checkHostname=${this.#checkHostname}>`;
  }

  /** @internal Changes with every setting, so that a server may cache what it derives. */
  get _version(): number {
    return this.#version;
  }

  /** @internal Checks that the context can serve the given side; throws the error a call needs. */
  _checkSide(serverSide: boolean): void {
    if (serverSide) {
      if (this.protocol === PROTOCOL_TLS_CLIENT) {
        throw new RangeError(
          "a client context (PROTOCOL_TLS_CLIENT, Purpose.SERVER_AUTH) cannot be used on the " +
            "server side: make it with PROTOCOL_TLS_SERVER or createDefaultContext(Purpose.CLIENT_AUTH)",
        );
      }
      if (this.#certChain === null) {
        throw new RangeError(
          "the server side needs a certificate: call sslcontext.loadCertChain(certfile, keyfile)",
        );
      }
      if (this.#verifyMode !== CERT_NONE) {
        throw new NotImplementedError(
          "verifyMode CERT_REQUIRED/CERT_OPTIONAL on a server (client certificates) cannot be " +
            "honoured: Deno's TLS server does not request client certificates",
        );
      }
    } else if (this.protocol === PROTOCOL_TLS_SERVER) {
      throw new RangeError(
        "a server context (PROTOCOL_TLS_SERVER, Purpose.CLIENT_AUTH) cannot be used on the " +
          "client side: make it with PROTOCOL_TLS_CLIENT or createDefaultContext()",
      );
    }
  }

  /** @internal The settings for `node:tls`, given its default roots. */
  _settings(rootCertificates: readonly string[]): NodeTlsSettings {
    const settings: NodeTlsSettings = {};
    // node:tls replaces the roots with `ca` (measured on Deno 2.9.6), as
    // Python's context trusts only what it loaded.
    if (this.#caCerts.length > 0 || !this.#defaultCerts) {
      settings.ca = this.#defaultCerts
        ? [...rootCertificates, ...this.#caCerts]
        : [...this.#caCerts];
    }
    if (this.#certChain !== null) {
      settings.cert = this.#certChain;
      settings.key = this.#key!;
    }
    const min = VERSION_NAMES[this.#minimum];
    const max = VERSION_NAMES[this.#maximum];
    if (min !== undefined) settings.minVersion = min;
    if (max !== undefined) settings.maxVersion = max;
    if (this.#alpn !== null) settings.ALPNProtocols = [...this.#alpn];
    return settings;
  }
}

function checkVersion(value: TLSVersion, what: string): TLSVersion {
  if (value === TLSVersion.TLSv1 || value === TLSVersion.TLSv1_1) {
    throw new NotImplementedError(
      `${what}: TLS 1.0 and 1.1 cannot be honoured: Deno's TLS speaks TLS 1.2 and 1.3 only`,
    );
  }
  if (!Object.values(TLSVersion).includes(value)) {
    throw new RangeError(`${what} must be one of TLSVersion's values`);
  }
  return value;
}

/**
 * A context with secure defaults, as Python's `ssl.create_default_context`:
 * for `Purpose.SERVER_AUTH` (the default) a client context that checks the
 * server's certificate and host name against Deno's default roots, or
 * against `cafile`/`cadata` alone when given; for `Purpose.CLIENT_AUTH` a
 * server context (load its certificate with `loadCertChain`).
 *
 * @example
 * ```ts
 * import { createDefaultContext, Purpose } from "@asyncio/asyncio";
 * const client = createDefaultContext();
 * console.log(client.checkHostname); // true
 * const server = createDefaultContext(Purpose.CLIENT_AUTH);
 * console.log(server.verifyMode); // 0 (CERT_NONE)
 * ```
 */
export function createDefaultContext(
  purpose: Purpose = Purpose.SERVER_AUTH,
  locations: VerifyLocations = {},
): SSLContext {
  if (purpose !== Purpose.SERVER_AUTH && purpose !== Purpose.CLIENT_AUTH) {
    throw new TypeError("purpose must be Purpose.SERVER_AUTH or Purpose.CLIENT_AUTH");
  }
  const context = new SSLContext(
    purpose === Purpose.SERVER_AUTH ? PROTOCOL_TLS_CLIENT : PROTOCOL_TLS_SERVER,
  );
  const { cafile = null, capath = null, cadata = null } = locations ?? {};
  if (cafile !== null || capath !== null || cadata !== null) {
    context.loadVerifyLocations({ cafile, capath, cadata });
  } else if (context.verifyMode !== CERT_NONE) {
    context.loadDefaultCerts(purpose);
  }
  return context;
}
