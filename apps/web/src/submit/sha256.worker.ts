import { createSHA256 } from 'hash-wasm';

/**
 * Hashes files off the page's thread: SHA-256 (hash-wasm) over slices of the file read one after another, so that
 * memory stays at two slices whatever the file's size: the next slice is read (by the browser, off this thread)
 * while the current one is hashed. Messages: `{ id, file }` in; `progress`, `done` or `error` out.
 */
const SLICE_BYTES = 8 * 1024 * 1024;

export type HashRequest = { id: number; file: File };
export type HashAnswer =
  | { id: number; type: 'progress'; bytes: number }
  | { id: number; type: 'done'; sha256: string }
  | { id: number; type: 'error'; message: string };

// the worker's global scope, typed by the DOM library as a window
const scope = self as unknown as {
  onmessage: ((event: MessageEvent<HashRequest>) => void) | null;
  postMessage(message: HashAnswer): void;
};

// one file at a time, in the order they arrive: the hasher is reused
let queue: Promise<void> = Promise.resolve();
const hasher = createSHA256();

async function hash({ id, file }: HashRequest): Promise<void> {
  try {
    const sha256 = await hasher;
    sha256.init();
    const read = (offset: number) => file.slice(offset, Math.min(offset + SLICE_BYTES, file.size)).arrayBuffer();
    let next = file.size > 0 ? read(0) : undefined;
    for (let offset = 0; next; offset += SLICE_BYTES) {
      const slice = await next;
      const end = offset + slice.byteLength;
      next = end < file.size ? read(end) : undefined;
      sha256.update(new Uint8Array(slice));
      scope.postMessage({ id, type: 'progress', bytes: end });
    }
    scope.postMessage({ id, type: 'done', sha256: sha256.digest('hex') });
  } catch (error) {
    scope.postMessage({ id, type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
}

scope.onmessage = (event) => {
  queue = queue.then(() => hash(event.data));
};
