// Structured logs: one JSON object per line, with the time from the injected Clock so
// simulated runs log virtual time. The sink is injected (stdout in production, a
// collector in the simulator and tests); nothing here writes to a global stream.

import type { Clock } from '../ports/clock.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_RANK: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Readonly<Record<string, unknown>>;
export interface LogRecord extends LogFields {
  readonly time: string;
  readonly level: LogLevel;
  readonly logger: string;
  readonly msg: string;
}
export type LogSink = (record: LogRecord) => void;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  child(name: string): Logger;
}

/** A sink that writes each record as one JSON line to a stream-like target. */
export function jsonLineSink(out: { write(chunk: string): unknown }): LogSink {
  return (record) => out.write(`${JSON.stringify(record, errorReplacer)}\n`);
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}

export class StructuredLogger implements Logger {
  constructor(
    private readonly clock: Clock,
    private readonly sink: LogSink,
    private readonly level: LogLevel = 'info',
    private readonly name = 'joinery',
  ) {}

  child(name: string): Logger {
    return new StructuredLogger(this.clock, this.sink, this.level, `${this.name}.${name}`);
  }

  debug(msg: string, fields?: LogFields): void {
    this.emit('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.emit('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.emit('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.emit('error', msg, fields);
  }

  private emit(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (LEVEL_RANK[level] < LEVEL_RANK[this.level]) return;
    this.sink({ time: new Date(this.clock.now()).toISOString(), level, logger: this.name, msg, ...fields });
  }
}

/** Discards everything (benchmarks). */
export const nullSink: LogSink = () => {};
