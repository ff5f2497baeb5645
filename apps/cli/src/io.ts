/** Where a command writes: process.stdout/stderr in main.ts, string collectors in tests. */
export interface Output {
  write(chunk: string): unknown;
  /** A terminal: progress is redrawn in place instead of printed as lines. */
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  /** Defaults to process.env: SIGDESK_URL, SIGDESK_API_KEY. */
  env?: Record<string, string | undefined>;
  /** Aborted on Ctrl-C: `feed --follow` stops cleanly, a download stops and removes its partial file. */
  signal?: AbortSignal;
}

export const EXIT = { ok: 0, error: 1, verificationFailed: 2 } as const;

/** An error for a person: printed as `error <code>: <message>`, then the process exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly code: string | null,
    message: string,
    readonly exitCode: number = EXIT.error,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Wrong command line: printed with a pointer to the command's help. */
export class UsageError extends CliError {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super('usage', message);
  }
}

export function line(output: Output, text = ''): void {
  output.write(`${text}\n`);
}
