/** Exit codes follow Playwright Test: 0 pass, 1 regression/failure, 2 usage or config error. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/**
 * A user-facing error: names what is wrong (file, field, tensor…) and what to do.
 * The CLI prints `message` (and `hint`) without a stack trace and exits with `exitCode`.
 */
export class SimgateError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = EXIT.usage,
  ) {
    super(message);
    this.name = 'SimgateError';
  }
}

/** Bad input the user must fix (scene JSON, manifest, model, flags): exit 2. */
export class ConfigError extends SimgateError {
  constructor(message: string, hint?: string) {
    super(message, hint, EXIT.usage);
    this.name = 'ConfigError';
  }
}
