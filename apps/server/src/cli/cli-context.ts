import type { Logger } from 'pino';
import pino from 'pino';
import type { Config } from '../platform/config/config.ts';
import { type ConfigOverrides, loadConfig } from '../platform/config/load-config.ts';
import { createLogger } from '../platform/logging/logger.ts';
import type { CliIo } from './cli-io.ts';

/**
 * Configuration and logger for one command. Commands other than `start`
 * and `worker` log to standard error at warn unless PEYTONIX_LOG_LEVEL sets
 * another level, so their standard output stays parseable.
 */
export function prepareCommand(
  io: CliIo,
  overrides: ConfigOverrides,
  service: boolean,
): { config: Config; logger: Logger } {
  const config = loadConfig(io.env, overrides);
  const levelChosen = io.env.PEYTONIX_LOG_LEVEL !== undefined || service;
  const level = levelChosen ? config.log.level : 'warn';
  const destination = service ? pino.destination(1) : pino.destination(2);
  return { config, logger: createLogger(level, destination) };
}
