// `node:fs/promises` (also `fs/promises`, and `promises` of `node:fs`) over
// the run's granted workspace (`env.workspace`, or the first binding with
// the workspace's methods): the common subset of Node's API, with Node's
// error shape (`code`, `errno`, `syscall`, `path`). The working directory
// is the workspace's root. Data without an encoding is a Uint8Array.
const ERRNO = {
  ENOENT: -2, EIO: -5, EACCES: -13, EEXIST: -17, ENOTDIR: -20, EISDIR: -21, EINVAL: -22,
  EFBIG: -27, ENAMETOOLONG: -36, ENOSYS: -38, ENOTEMPTY: -39, ESTALE: -116, EDQUOT: -122,
};

function fsError(code, message, syscall, path) {
  const error = new Error(`${code}: ${message}, ${syscall} '${path}'`);
  error.code = code;
  error.errno = ERRNO[code] ?? -1;
  error.syscall = syscall;
  error.path = path;
  return error;
}

function workspace(syscall, path) {
  const env = globalThis.env;
  if (env && env.workspace) return env.workspace;
  for (const name of Object.keys(env ?? {})) {
    const binding = env[name];
    if (binding && typeof binding.readdir === 'function' && typeof binding.grep === 'function') return binding;
  }
  throw fsError('ENOSYS', 'no workspace is granted to this run (grant workspace)', syscall, path);
}

function toPath(path) {
  if (path instanceof URL) {
    if (path.protocol !== 'file:') throw new TypeError('The URL must be of scheme file');
    return decodeURIComponent(path.pathname);
  }
  if (typeof path !== 'string') throw new TypeError(`The "path" argument must be of type string or an instance of URL. Received ${typeof path}`);
  return path;
}

// Calls the workspace, turning its "CODE: message (path)" refusals into
// Node's errors.
async function call(syscall, path, method, args) {
  const ws = workspace(syscall, path);
  try {
    return await ws[method](args);
  } catch (error) {
    const match = /^(E[A-Z]+): (.*?)(?: \([^()]*\))?$/s.exec(String(error?.message ?? ''));
    if (match) throw fsError(match[1], match[2], syscall, path);
    throw error;
  }
}

function encodingOf(options) {
  if (typeof options === 'string') return options;
  return options?.encoding ?? null;
}

function toBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function content(data) {
  if (typeof data === 'string') return { content: data, encoding: 'utf8' };
  if (ArrayBuffer.isView(data)) {
    return { content: toBase64(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)), encoding: 'base64' };
  }
  if (data instanceof ArrayBuffer) return { content: toBase64(new Uint8Array(data)), encoding: 'base64' };
  throw new TypeError('The "data" argument must be of type string or an instance of Buffer, TypedArray, or DataView');
}

function checkEncoding(encoding) {
  if (encoding !== null && encoding !== 'utf8' && encoding !== 'utf-8') {
    throw new TypeError(`The encoding "${encoding}" is not supported here (use utf8, or none for bytes)`);
  }
}

export async function readFile(path, options) {
  path = toPath(path);
  const encoding = encodingOf(options);
  checkEncoding(encoding);
  if (encoding) return call('open', path, 'readFile', { path });
  return fromBase64(await call('open', path, 'readFile', { path, encoding: 'base64' }));
}

export async function writeFile(path, data, options) {
  path = toPath(path);
  checkEncoding(encodingOf(options));
  const flag = typeof options === 'object' && options !== null ? options.flag : undefined;
  await call('open', path, 'writeFile', { path, ...content(data), exclusive: flag === 'wx' || flag === 'wx+' });
}

export async function appendFile(path, data, options) {
  path = toPath(path);
  checkEncoding(encodingOf(options));
  await call('open', path, 'appendFile', { path, ...content(data) });
}

export async function mkdir(path, options) {
  path = toPath(path);
  const recursive = typeof options === 'object' && options !== null && !!options.recursive;
  await call('mkdir', path, 'mkdir', { path, recursive });
  return recursive ? path : undefined;
}

class Stats {
  #kind;
  constructor(entry) {
    this.#kind = entry.kind;
    this.size = entry.size;
    this.mtimeMs = entry.mtime;
    this.mtime = new Date(entry.mtime);
    this.ctimeMs = this.birthtimeMs = this.atimeMs = entry.mtime;
    this.ctime = this.birthtime = this.atime = new Date(entry.mtime);
    this.mode = entry.kind === 'directory' ? 0o40755 : 0o100644;
  }
  isFile() { return this.#kind === 'file'; }
  isDirectory() { return this.#kind === 'directory'; }
  isSymbolicLink() { return this.#kind === 'symlink'; }
  isBlockDevice() { return false; }
  isCharacterDevice() { return false; }
  isFIFO() { return false; }
  isSocket() { return false; }
}

class Dirent {
  #kind;
  constructor(entry, parent) {
    this.#kind = entry.kind;
    this.name = entry.path.slice(entry.path.lastIndexOf('/') + 1);
    this.parentPath = this.path = parent;
  }
  isFile() { return this.#kind === 'file'; }
  isDirectory() { return this.#kind === 'directory'; }
  isSymbolicLink() { return this.#kind === 'symlink'; }
  isBlockDevice() { return false; }
  isCharacterDevice() { return false; }
  isFIFO() { return false; }
  isSocket() { return false; }
}

export async function stat(path) {
  path = toPath(path);
  return new Stats(await call('stat', path, 'stat', { path }));
}

export const lstat = stat;

export async function access(path) {
  path = toPath(path);
  await call('access', path, 'stat', { path });
}

// Every entry, page after page (a directory of any size is read whole).
export async function readdir(path, options) {
  path = toPath(path);
  const withFileTypes = typeof options === 'object' && options !== null && !!options.withFileTypes;
  const out = [];
  let cursor;
  do {
    const page = await call('scandir', path, 'readdir', cursor === undefined ? { path } : { path, cursor });
    for (const entry of page.entries) {
      out.push(withFileTypes ? new Dirent(entry, path) : entry.path.slice(entry.path.lastIndexOf('/') + 1));
    }
    cursor = page.cursor;
  } while (cursor !== undefined && cursor !== null);
  return out;
}

export async function rm(path, options) {
  path = toPath(path);
  const recursive = !!options?.recursive;
  const force = !!options?.force;
  await call('rm', path, 'rm', { path, recursive, force });
}

export async function rmdir(path, options) {
  path = toPath(path);
  const entry = await call('rmdir', path, 'stat', { path });
  if (entry.kind !== 'directory') throw fsError('ENOTDIR', 'not a directory', 'rmdir', path);
  await call('rmdir', path, 'rm', { path, recursive: !!options?.recursive });
}

export async function unlink(path) {
  path = toPath(path);
  const entry = await call('unlink', path, 'stat', { path });
  if (entry.kind === 'directory') throw fsError('EISDIR', 'illegal operation on a directory', 'unlink', path);
  await call('unlink', path, 'rm', { path });
}

export async function rename(from, to) {
  from = toPath(from);
  to = toPath(to);
  await call('rename', from, 'mv', { from, to });
}

export async function copyFile(from, to) {
  from = toPath(from);
  to = toPath(to);
  await call('copyfile', from, 'cp', { from, to });
}

export async function cp(from, to, options) {
  from = toPath(from);
  to = toPath(to);
  await call('cp', from, 'cp', { from, to, recursive: !!options?.recursive });
}

export async function realpath(path) {
  path = toPath(path);
  await call('realpath', path, 'stat', { path });
  const parts = [];
  for (const part of path.split('/')) {
    if (part === '..') parts.pop();
    else if (part !== '' && part !== '.') parts.push(part);
  }
  return '/' + parts.join('/');
}

export const constants = { F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1 };

export default {
  readFile, writeFile, appendFile, mkdir, stat, lstat, access, readdir, rm, rmdir, unlink, rename, copyFile, cp,
  realpath, constants,
};
