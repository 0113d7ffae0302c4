/**
 * The few logging calls the syslog listeners make. pino's Logger satisfies it; tests pass
 * nothing and get `silentLog`.
 */
export interface SourceLog {
  debug(details: object, message: string): void;
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

const ignore = (): void => {};

export const silentLog: SourceLog = { debug: ignore, info: ignore, warn: ignore, error: ignore };
