// Where a manifest's file contents come from. The core never reads files: the caller (the CLI,
// a test, a loader running over the simulated filesystem) supplies a ContentReader. Paths are
// passed exactly as written in the manifest; the reader resolves them (usually against the
// manifest's directory, see resolveManifestPath in manifest.ts).

/** A content file could not be read (missing, unreadable, shorter than expected). */
export class ContentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContentError';
  }
}

export interface ContentReader {
  /** The file's length in bytes. Throws a readable Error if the file cannot be read. */
  size(path: string): number;
  /**
   * Copy up to dst.length bytes from `position` into dst; returns how many were copied (fewer
   * only at end of file). Throws a readable Error on failure.
   */
  readAt(path: string, position: number, dst: Uint8Array): number;
}

/**
 * A ContentReader over a whole-file `readFile(path) => Uint8Array` resolver (each file is read
 * once and kept). Fine for small images; stream large ones with a positional reader instead.
 */
export function contentReaderFromFiles(readFile: (path: string) => Uint8Array): ContentReader {
  const cache = new Map<string, Uint8Array>();
  const get = (path: string): Uint8Array => {
    let b = cache.get(path);
    if (b === undefined) {
      b = readFile(path);
      cache.set(path, b);
    }
    return b;
  };
  return {
    size: (path) => get(path).length,
    readAt(path, position, dst) {
      const b = get(path);
      if (position >= b.length) return 0;
      const n = Math.min(dst.length, b.length - position);
      dst.set(b.subarray(position, position + n));
      return n;
    },
  };
}

/** A reader that fails for every path (for manifests with no file contents). */
export const noFiles: ContentReader = {
  size(path) {
    throw new Error(`${path}: no file reader was given`);
  },
  readAt(path) {
    throw new Error(`${path}: no file reader was given`);
  },
};
