import type { HashAnswer, HashRequest } from './sha256.worker';

interface Pending {
  onProgress(bytes: number): void;
  resolve(sha256: string): void;
  reject(error: Error): void;
}

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

/** The hashing worker, started at the first file (its script and WebAssembly load then, not with the page). */
function hashWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL('./sha256.worker.ts', import.meta.url), { type: 'module', name: 'sha256' });
  worker.onmessage = (event: MessageEvent<HashAnswer>) => {
    const answer = event.data;
    const job = pending.get(answer.id);
    if (!job) return;
    if (answer.type === 'progress') return job.onProgress(answer.bytes);
    pending.delete(answer.id);
    if (answer.type === 'done') job.resolve(answer.sha256);
    else job.reject(new Error(answer.message));
  };
  worker.onerror = (event) => {
    for (const job of pending.values()) job.reject(new Error(event.message || 'the hashing worker failed'));
    pending.clear();
    worker?.terminate();
    worker = undefined;
  };
  return worker;
}

/** The SHA-256 of a file, hex, computed in a Web Worker; `onProgress` tells the bytes hashed so far. */
export function sha256OfFile(file: File, onProgress: (bytes: number) => void = () => undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { onProgress, resolve, reject });
    const request: HashRequest = { id, file };
    hashWorker().postMessage(request);
  });
}
