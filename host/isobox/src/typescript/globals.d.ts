// The isobox sandbox: a fresh QuickJS (ES2023, and Intl: ECMA-402 on ICU4X)
// per run. No DOM, no Node APIs, no file system. Network only through fetch(),
// and only where the run's egress policy allows (otherwise fetch rejects with a
// TypeError saying why).

/** The caller's input (JSON), or null. */
declare const input: any;
/** Granted capabilities, by name. */
declare const env: Record<string, any>;

declare var console: {
  log(...data: any[]): void; info(...data: any[]): void; debug(...data: any[]): void;
  warn(...data: any[]): void; error(...data: any[]): void; trace(...data: any[]): void;
  dir(item: any): void; assert(condition?: boolean, ...data: any[]): void; count(label?: string): void;
};

type BufferSource = ArrayBuffer | ArrayBufferView;
type HeadersInit = Headers | [string, string][] | Record<string, string>;
type BodyInit = string | BufferSource | URLSearchParams | Blob | FormData | ReadableStream<Uint8Array>;

/** Every body is a ReadableStream (`body`); the methods read it whole. */
interface Body {
  readonly body: ReadableStream<Uint8Array> | null;
  readonly bodyUsed: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
  blob(): Promise<Blob>;
  formData(): Promise<FormData>;
}

declare class Headers {
  constructor(init?: HeadersInit);
  append(name: string, value: string): void;
  delete(name: string): void;
  get(name: string): string | null;
  getSetCookie(): string[];
  has(name: string): boolean;
  set(name: string, value: string): void;
  forEach(fn: (value: string, name: string, headers: Headers) => void): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

interface RequestInit {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
  redirect?: 'follow' | 'error' | 'manual';
  signal?: AbortSignal | null;
  /** Required with a ReadableStream body (read whole, then sent). */
  duplex?: 'half';
}

declare class Request implements Body {
  constructor(input: string | URL | Request, init?: RequestInit);
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly redirect: 'follow' | 'error' | 'manual';
  readonly signal: AbortSignal | null;
  readonly body: ReadableStream<Uint8Array> | null;
  readonly bodyUsed: boolean;
  clone(): Request;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
  blob(): Promise<Blob>;
  formData(): Promise<FormData>;
}

interface ResponseInit {
  status?: number;
  statusText?: string;
  headers?: HeadersInit;
}

declare class Response implements Body {
  constructor(body?: BodyInit | null, init?: ResponseInit);
  static json(data: any, init?: ResponseInit): Response;
  static redirect(url: string | URL, status?: number): Response;
  static error(): Response;
  readonly status: number;
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: Headers;
  /** The final URL, after redirects. */
  readonly url: string;
  readonly redirected: boolean;
  readonly type: string;
  /** Read from the network as it is pulled. */
  readonly body: ReadableStream<Uint8Array> | null;
  readonly bodyUsed: boolean;
  /** Tees the body: both copies can be read. */
  clone(): Response;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<any>;
  blob(): Promise<Blob>;
  formData(): Promise<FormData>;
}

/** Leaves the sandbox only through the host's egress policy. */
declare function fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;

declare class URL {
  constructor(url: string | URL, base?: string | URL);
  static canParse(url: string | URL, base?: string | URL): boolean;
  static parse(url: string | URL, base?: string | URL): URL | null;
  href: string;
  readonly origin: string;
  protocol: string;
  username: string;
  password: string;
  host: string;
  hostname: string;
  port: string;
  pathname: string;
  search: string;
  readonly searchParams: URLSearchParams;
  hash: string;
  toString(): string;
  toJSON(): string;
}

declare class URLSearchParams {
  constructor(init?: string | [string, string][] | Record<string, string> | URLSearchParams);
  readonly size: number;
  append(name: string, value: string): void;
  delete(name: string, value?: string): void;
  get(name: string): string | null;
  getAll(name: string): string[];
  has(name: string, value?: string): boolean;
  set(name: string, value: string): void;
  sort(): void;
  forEach(fn: (value: string, name: string, params: URLSearchParams) => void): void;
  entries(): IterableIterator<[string, string]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  [Symbol.iterator](): IterableIterator<[string, string]>;
  toString(): string;
}

declare class TextEncoder {
  readonly encoding: 'utf-8';
  encode(input?: string): Uint8Array;
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number };
}
declare class TextDecoder {
  /** Any WHATWG encoding label (utf-8, utf-16le, windows-1252, shift_jis ...). */
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: string;
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  decode(input?: BufferSource, options?: { stream?: boolean }): string;
}

declare function atob(data: string): string;
declare function btoa(data: string): string;
declare function structuredClone<T>(value: T, options?: { transfer?: ArrayBuffer[] }): T;
declare function queueMicrotask(callback: () => void): void;
declare function reportError(error: any): void;
declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function setInterval(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function clearTimeout(id?: number): void;
declare function clearInterval(id?: number): void;

/** An algorithm name or its parameters, e.g. { name: 'HMAC', hash: 'SHA-256' }. */
type AlgorithmIdentifier = string | { name: string; [parameter: string]: any };
type KeyUsage = 'encrypt' | 'decrypt' | 'sign' | 'verify' | 'deriveKey' | 'deriveBits' | 'wrapKey' | 'unwrapKey';
type KeyFormat = 'raw' | 'pkcs8' | 'spki' | 'jwk';
interface JsonWebKey { kty?: string; [member: string]: any }
declare class CryptoKey {
  readonly type: 'secret' | 'private' | 'public';
  readonly extractable: boolean;
  readonly algorithm: { name: string; [parameter: string]: any };
  readonly usages: KeyUsage[];
}
interface CryptoKeyPair { publicKey: CryptoKey; privateKey: CryptoKey }
/** HMAC, ECDSA (P-256/384/521), Ed25519, RSASSA-PKCS1-v1_5, RSA-PSS, AES-GCM/CBC/CTR/KW, RSA-OAEP, PBKDF2, HKDF, ECDH, X25519. */
declare class SubtleCrypto {
  digest(algorithm: AlgorithmIdentifier, data: BufferSource): Promise<ArrayBuffer>;
  importKey(format: KeyFormat, keyData: BufferSource | JsonWebKey, algorithm: AlgorithmIdentifier, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKey>;
  exportKey(format: 'jwk', key: CryptoKey): Promise<JsonWebKey>;
  exportKey(format: Exclude<KeyFormat, 'jwk'>, key: CryptoKey): Promise<ArrayBuffer>;
  generateKey(algorithm: AlgorithmIdentifier, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKey | CryptoKeyPair>;
  sign(algorithm: AlgorithmIdentifier, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer>;
  verify(algorithm: AlgorithmIdentifier, key: CryptoKey, signature: BufferSource, data: BufferSource): Promise<boolean>;
  encrypt(algorithm: AlgorithmIdentifier, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer>;
  decrypt(algorithm: AlgorithmIdentifier, key: CryptoKey, data: BufferSource): Promise<ArrayBuffer>;
  deriveBits(algorithm: AlgorithmIdentifier, baseKey: CryptoKey, length?: number | null): Promise<ArrayBuffer>;
  deriveKey(algorithm: AlgorithmIdentifier, baseKey: CryptoKey, derivedKeyType: AlgorithmIdentifier, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKey>;
  wrapKey(format: KeyFormat, key: CryptoKey, wrappingKey: CryptoKey, wrapAlgorithm: AlgorithmIdentifier): Promise<ArrayBuffer>;
  unwrapKey(format: KeyFormat, wrappedKey: BufferSource, unwrappingKey: CryptoKey, unwrapAlgorithm: AlgorithmIdentifier, unwrappedKeyAlgorithm: AlgorithmIdentifier, extractable: boolean, usages: KeyUsage[]): Promise<CryptoKey>;
}
declare class Crypto {
  getRandomValues<T extends ArrayBufferView>(array: T): T;
  randomUUID(): string;
  readonly subtle: SubtleCrypto;
}
declare var crypto: Crypto;
/** Always true: every sandbox is a secure context. */
declare var isSecureContext: boolean;

interface QueuingStrategy<T = any> { highWaterMark?: number; size?(chunk: T): number }
interface ReadableStreamReadResult<T> { done: boolean; value?: T }
declare class ReadableStreamDefaultReader<R = any> {
  constructor(stream: ReadableStream<R>);
  readonly closed: Promise<undefined>;
  read(): Promise<ReadableStreamReadResult<R>>;
  releaseLock(): void;
  cancel(reason?: any): Promise<void>;
}
declare class ReadableStream<R = any> {
  constructor(source?: {
    type?: 'bytes';
    start?(controller: any): any;
    pull?(controller: any): any;
    cancel?(reason?: any): any;
    autoAllocateChunkSize?: number;
  }, strategy?: QueuingStrategy<R>);
  static from<T>(iterable: Iterable<T> | AsyncIterable<T>): ReadableStream<T>;
  readonly locked: boolean;
  cancel(reason?: any): Promise<void>;
  getReader(): ReadableStreamDefaultReader<R>;
  getReader(options: { mode: 'byob' }): any;
  pipeThrough<T>(transform: { writable: WritableStream<R>; readable: ReadableStream<T> }, options?: StreamPipeOptions): ReadableStream<T>;
  pipeTo(destination: WritableStream<R>, options?: StreamPipeOptions): Promise<void>;
  tee(): [ReadableStream<R>, ReadableStream<R>];
  values(options?: { preventCancel?: boolean }): AsyncIterableIterator<R>;
  [Symbol.asyncIterator](): AsyncIterableIterator<R>;
}
interface StreamPipeOptions { preventClose?: boolean; preventAbort?: boolean; preventCancel?: boolean; signal?: AbortSignal }
declare class WritableStreamDefaultWriter<W = any> {
  constructor(stream: WritableStream<W>);
  readonly closed: Promise<undefined>;
  readonly ready: Promise<undefined>;
  readonly desiredSize: number | null;
  write(chunk: W): Promise<void>;
  close(): Promise<void>;
  abort(reason?: any): Promise<void>;
  releaseLock(): void;
}
declare class WritableStream<W = any> {
  constructor(sink?: {
    start?(controller: any): any;
    write?(chunk: W, controller: any): any;
    close?(): any;
    abort?(reason?: any): any;
  }, strategy?: QueuingStrategy<W>);
  readonly locked: boolean;
  getWriter(): WritableStreamDefaultWriter<W>;
  close(): Promise<void>;
  abort(reason?: any): Promise<void>;
}
interface TransformStreamDefaultController<O = any> {
  readonly desiredSize: number | null;
  enqueue(chunk?: O): void;
  error(reason?: any): void;
  terminate(): void;
}
declare class TransformStream<I = any, O = any> {
  constructor(transformer?: {
    start?(controller: TransformStreamDefaultController<O>): any;
    transform?(chunk: I, controller: TransformStreamDefaultController<O>): any;
    flush?(controller: TransformStreamDefaultController<O>): any;
    cancel?(reason?: any): any;
  }, writableStrategy?: QueuingStrategy<I>, readableStrategy?: QueuingStrategy<O>);
  readonly readable: ReadableStream<O>;
  readonly writable: WritableStream<I>;
}
declare class ByteLengthQueuingStrategy { constructor(init: { highWaterMark: number }); readonly highWaterMark: number; size(chunk: ArrayBufferView): number }
declare class CountQueuingStrategy { constructor(init: { highWaterMark: number }); readonly highWaterMark: number; size(): 1 }
declare class TextEncoderStream extends TransformStream<string, Uint8Array> { readonly encoding: 'utf-8' }
declare class TextDecoderStream extends TransformStream<BufferSource, string> {
  constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean });
  readonly encoding: string;
}
declare class CompressionStream extends TransformStream<BufferSource, Uint8Array> { constructor(format: 'gzip' | 'deflate' | 'deflate-raw') }
declare class DecompressionStream extends TransformStream<BufferSource, Uint8Array> { constructor(format: 'gzip' | 'deflate' | 'deflate-raw') }

declare class MessageEvent<T = any> extends Event {
  constructor(type: string, init?: { data?: T; origin?: string; lastEventId?: string });
  readonly data: T;
  readonly origin: string;
  readonly lastEventId: string;
}
/** Delivers clones of messages as tasks; messages wait until start() or onmessage. */
declare class MessagePort extends EventTarget {
  postMessage(message: any, transfer?: ArrayBuffer[] | { transfer?: ArrayBuffer[] }): void;
  start(): void;
  close(): void;
  onmessage: ((event: MessageEvent) => void) | null;
  onmessageerror: ((event: MessageEvent) => void) | null;
}
declare class MessageChannel {
  readonly port1: MessagePort;
  readonly port2: MessagePort;
}

declare var performance: { now(): number; readonly timeOrigin: number };

declare class Event {
  constructor(type: string, init?: { bubbles?: boolean; cancelable?: boolean; composed?: boolean });
  readonly type: string;
  readonly target: EventTarget | null;
  readonly currentTarget: EventTarget | null;
  readonly defaultPrevented: boolean;
  readonly cancelable: boolean;
  readonly timeStamp: number;
  preventDefault(): void;
  stopPropagation(): void;
  stopImmediatePropagation(): void;
}

declare class EventTarget {
  addEventListener(
    type: string,
    listener: ((event: Event) => void) | { handleEvent(event: Event): void } | null,
    options?: boolean | { once?: boolean; capture?: boolean; passive?: boolean; signal?: AbortSignal },
  ): void;
  removeEventListener(type: string, listener: ((event: Event) => void) | { handleEvent(event: Event): void } | null, options?: boolean | { capture?: boolean }): void;
  dispatchEvent(event: Event): boolean;
}

declare class AbortSignal extends EventTarget {
  static abort(reason?: any): AbortSignal;
  static timeout(ms: number): AbortSignal;
  static any(signals: AbortSignal[]): AbortSignal;
  readonly aborted: boolean;
  readonly reason: any;
  onabort: ((event: Event) => void) | null;
  throwIfAborted(): void;
}

declare class AbortController {
  readonly signal: AbortSignal;
  abort(reason?: any): void;
}

declare class DOMException extends Error {
  constructor(message?: string, name?: string);
  readonly name: string;
  readonly code: number;
}

type BlobPart = string | BufferSource | Blob;
declare class Blob {
  /** Strings are UTF-8; `endings: 'native'` turns their line breaks into "\n". */
  constructor(parts?: Iterable<BlobPart>, options?: { type?: string; endings?: 'transparent' | 'native' });
  readonly size: number;
  readonly type: string;
  /** Negative indices count from the end. */
  slice(start?: number, end?: number, contentType?: string): Blob;
  text(): Promise<string>;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  stream(): ReadableStream<Uint8Array>;
}
declare class File extends Blob {
  constructor(parts: Iterable<BlobPart>, name: string, options?: { type?: string; endings?: 'transparent' | 'native'; lastModified?: number });
  readonly name: string;
  /** Milliseconds since the epoch; by default the time the File was made. */
  readonly lastModified: number;
  readonly webkitRelativePath: string;
}
type FormDataEntryValue = File | string;
declare class FormData {
  /** No form element: there is no DOM. */
  constructor();
  /** A Blob becomes a File named `filename`, or "blob". */
  append(name: string, value: string | Blob, filename?: string): void;
  delete(name: string): void;
  get(name: string): FormDataEntryValue | null;
  getAll(name: string): FormDataEntryValue[];
  has(name: string): boolean;
  set(name: string, value: string | Blob, filename?: string): void;
  forEach(fn: (value: FormDataEntryValue, name: string, formData: FormData) => void): void;
  entries(): IterableIterator<[string, FormDataEntryValue]>;
  keys(): IterableIterator<string>;
  values(): IterableIterator<FormDataEntryValue>;
  [Symbol.iterator](): IterableIterator<[string, FormDataEntryValue]>;
}
declare class ProgressEvent extends Event {
  constructor(type: string, init?: { lengthComputable?: boolean; loaded?: number; total?: number });
  readonly lengthComputable: boolean;
  readonly loaded: number;
  readonly total: number;
}
declare class FileReader extends EventTarget {
  static readonly EMPTY: 0;
  static readonly LOADING: 1;
  static readonly DONE: 2;
  readonly readyState: 0 | 1 | 2;
  readonly result: string | ArrayBuffer | null;
  readonly error: DOMException | null;
  readAsArrayBuffer(blob: Blob): void;
  readAsBinaryString(blob: Blob): void;
  readAsText(blob: Blob, encoding?: string): void;
  readAsDataURL(blob: Blob): void;
  abort(): void;
  onloadstart: ((event: ProgressEvent) => void) | null;
  onprogress: ((event: ProgressEvent) => void) | null;
  onload: ((event: ProgressEvent) => void) | null;
  onabort: ((event: ProgressEvent) => void) | null;
  onerror: ((event: ProgressEvent) => void) | null;
  onloadend: ((event: ProgressEvent) => void) | null;
}
/** Node's promise file system over the run's granted workspace (`--grant workspace`); the working directory is its root. Errors carry Node's `code` (`ENOENT`, ...), `errno`, `syscall` and `path`. Also importable as `fs/promises`, and as `promises` of `node:fs`. */
declare module "node:fs/promises" {
  interface Stats { size: number; mtimeMs: number; mtime: Date; atime: Date; ctime: Date; birthtime: Date; mode: number; isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }
  interface Dirent { name: string; parentPath: string; isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }
  type Path = string | URL;
  type Data = string | ArrayBufferView | ArrayBuffer;
  /** UTF-8 text with an encoding, else the bytes. */
  export function readFile(path: Path, options: "utf8" | "utf-8" | { encoding: "utf8" | "utf-8" }): Promise<string>;
  export function readFile(path: Path, options?: { encoding?: null } | null): Promise<Uint8Array>;
  /** `flag: "wx"` fails with EEXIST when the file exists. */
  export function writeFile(path: Path, data: Data, options?: "utf8" | { encoding?: "utf8" | null; flag?: "w" | "wx" }): Promise<void>;
  export function appendFile(path: Path, data: Data, options?: "utf8" | { encoding?: "utf8" | null }): Promise<void>;
  export function mkdir(path: Path, options?: { recursive?: boolean }): Promise<string | undefined>;
  export function readdir(path: Path, options: { withFileTypes: true }): Promise<Dirent[]>;
  export function readdir(path: Path, options?: { withFileTypes?: false }): Promise<string[]>;
  export function stat(path: Path): Promise<Stats>;
  export function lstat(path: Path): Promise<Stats>;
  export function access(path: Path, mode?: number): Promise<void>;
  export function rm(path: Path, options?: { recursive?: boolean; force?: boolean }): Promise<void>;
  export function rmdir(path: Path, options?: { recursive?: boolean }): Promise<void>;
  export function unlink(path: Path): Promise<void>;
  export function rename(from: Path, to: Path): Promise<void>;
  export function copyFile(from: Path, to: Path): Promise<void>;
  export function cp(from: Path, to: Path, options?: { recursive?: boolean }): Promise<void>;
  export function realpath(path: Path): Promise<string>;
  export const constants: { F_OK: number; R_OK: number; W_OK: number; X_OK: number };
}
declare module "fs/promises" {
  export * from "node:fs/promises";
}
