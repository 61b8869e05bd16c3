import { readFileSync } from 'node:fs';
import path from 'node:path';
import { APP_ROLE, type Config, type EvidenceConfig, type ScannerConfig } from './config.ts';
import { ConfigError, type ConfigProblem } from './config-error.ts';
import { CONFIG_FILE_VARIABLE, VARIABLES, type VariableName } from './variables.ts';

type Source = Readonly<Record<string, string | undefined>>;

/** Command-line flags that take precedence over the environment and the file. */
export interface ConfigOverrides {
  dataDir?: string;
  host?: string;
  port?: string;
}

/**
 * Read the optional JSON configuration file named by PEYTONIX_CONFIG_FILE.
 * The file is a flat object whose keys are the same variable names as the
 * environment. Unknown keys are rejected so a typo cannot pass silently.
 */
function readConfigFile(filePath: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(filePath, 'utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([
      {
        variable: CONFIG_FILE_VARIABLE,
        value: filePath,
        problem: `the file could not be read as JSON (${reason})`,
        fix: 'point PEYTONIX_CONFIG_FILE to a readable JSON file, or unset it',
      },
    ]);
  }

  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([
      {
        variable: CONFIG_FILE_VARIABLE,
        value: filePath,
        problem: 'the file must contain one JSON object',
        fix: 'write the file as {"PEYTONIX_PORT": 3000, ...}',
      },
    ]);
  }

  const values: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in VARIABLES)) {
      problems.push({
        variable: key,
        value: String(value),
        problem: `${filePath} names an unknown variable`,
        fix: 'remove it, or correct the name from docs/configuration.md',
      });
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      problems.push({
        variable: key,
        value: JSON.stringify(value),
        problem: `${filePath} must give a string, number or boolean`,
        fix: VARIABLES[key as VariableName].fix,
      });
      continue;
    }
    values[key] = String(value);
  }

  if (problems.length > 0) {
    throw new ConfigError(problems);
  }
  return values;
}

/**
 * Build the configuration from the environment and the optional file, with
 * the environment taking precedence. Every problem is collected before one
 * ConfigError is thrown, so an operator fixes them all in one pass.
 */
export function loadConfig(env: Source = process.env, overrides: ConfigOverrides = {}): Config {
  const fileName = env[CONFIG_FILE_VARIABLE];
  const fileValues = fileName ? readConfigFile(fileName) : {};
  const raw: Record<string, string | undefined> = { ...fileValues };
  for (const name of Object.keys(VARIABLES)) {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') {
      raw[name] = fromEnv;
    }
  }
  if (overrides.dataDir !== undefined) raw.PEYTONIX_DATA_DIR = overrides.dataDir;
  if (overrides.host !== undefined) raw.PEYTONIX_HOST = overrides.host;
  if (overrides.port !== undefined) raw.PEYTONIX_PORT = overrides.port;

  const problems: ConfigProblem[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(VARIABLES) as [
    VariableName,
    (typeof VARIABLES)[VariableName],
  ][]) {
    const text = raw[name] ?? ('defaultValue' in spec ? spec.defaultValue : undefined);
    if (text === undefined) {
      continue;
    }
    const result = spec.schema.safeParse(text);
    if (result.success) {
      values[name] = result.data;
    } else {
      problems.push({
        variable: name,
        value: text,
        problem: result.error.issues[0]?.message ?? 'invalid value',
        fix: spec.fix,
      });
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }

  return assembleConfig(values, raw);
}

function assembleConfig(
  values: Record<string, unknown>,
  raw: Record<string, string | undefined>,
): Config {
  const read = <T>(name: VariableName): T => values[name] as T;
  const mode = read<Config['mode']>('PEYTONIX_MODE');
  const production = mode === 'production';
  const problems: ConfigProblem[] = [];

  const ownerUrl = read<string | undefined>('DATABASE_URL');
  let appUrl = read<string | undefined>('PEYTONIX_APP_DATABASE_URL');
  if (ownerUrl === undefined && appUrl !== undefined) {
    problems.push({
      variable: 'DATABASE_URL',
      value: undefined,
      problem: 'it is required when PEYTONIX_APP_DATABASE_URL is set',
      fix: VARIABLES.DATABASE_URL.fix,
    });
  }
  if (ownerUrl !== undefined && appUrl === undefined) {
    if (production) {
      problems.push({
        variable: 'PEYTONIX_APP_DATABASE_URL',
        value: undefined,
        problem: 'production mode requires an explicit application-role connection',
        fix: VARIABLES.PEYTONIX_APP_DATABASE_URL.fix,
      });
    } else {
      appUrl = deriveAppUrl(ownerUrl);
    }
  }
  if (production && ownerUrl === undefined && !read<boolean>('PEYTONIX_ALLOW_EMBEDDED_DATABASE')) {
    problems.push({
      variable: 'DATABASE_URL',
      value: undefined,
      problem: 'production mode refuses the embedded PostgreSQL',
      fix: VARIABLES.PEYTONIX_ALLOW_EMBEDDED_DATABASE.fix,
    });
  }
  const storageKind = read<'local' | 's3'>('PEYTONIX_STORAGE');
  if (production && storageKind === 'local' && !read<boolean>('PEYTONIX_ALLOW_LOCAL_STORAGE')) {
    problems.push({
      variable: 'PEYTONIX_ALLOW_LOCAL_STORAGE',
      value: raw.PEYTONIX_ALLOW_LOCAL_STORAGE,
      problem: 'production mode refuses local evidence storage',
      fix: VARIABLES.PEYTONIX_ALLOW_LOCAL_STORAGE.fix,
    });
  }
  const keysKind = read<'local' | 'kms'>('PEYTONIX_KEYS');
  const kmsKeyId = read<string | undefined>('PEYTONIX_KMS_KEY_ID');
  const awsRegion = read<string | undefined>('PEYTONIX_AWS_REGION');
  if (keysKind === 'kms') {
    for (const [variable, value] of [
      ['PEYTONIX_KMS_KEY_ID', kmsKeyId],
      ['PEYTONIX_AWS_REGION', awsRegion],
    ] as const) {
      if (value === undefined) {
        problems.push({
          variable,
          value,
          problem: 'it is required when PEYTONIX_KEYS=kms',
          fix: VARIABLES[variable].fix,
        });
      }
    }
  }
  const bucket = read<string | undefined>('PEYTONIX_S3_BUCKET');
  const storageKeyId = read<string | undefined>('PEYTONIX_S3_KMS_KEY_ID');
  if (storageKind === 's3') {
    for (const [variable, value] of [
      ['PEYTONIX_S3_BUCKET', bucket],
      ['PEYTONIX_S3_KMS_KEY_ID', storageKeyId],
      ['PEYTONIX_AWS_REGION', awsRegion],
    ] as const) {
      if (value === undefined) {
        problems.push({
          variable,
          value,
          problem: 'it is required when PEYTONIX_STORAGE=s3',
          fix: VARIABLES[variable].fix,
        });
      }
    }
  }
  if (production && keysKind === 'local' && !read<boolean>('PEYTONIX_ALLOW_LOCAL_KEYS')) {
    problems.push({
      variable: 'PEYTONIX_ALLOW_LOCAL_KEYS',
      value: raw.PEYTONIX_ALLOW_LOCAL_KEYS,
      problem: 'production mode refuses local key files',
      fix: VARIABLES.PEYTONIX_ALLOW_LOCAL_KEYS.fix,
    });
  }
  const host = read<string>('PEYTONIX_HOST');
  const port = read<number>('PEYTONIX_PORT');
  let publicOrigin = read<string | undefined>('PEYTONIX_PUBLIC_URL')?.replace(/\/$/, '');
  if (publicOrigin === undefined) {
    if (production) {
      problems.push({
        variable: 'PEYTONIX_PUBLIC_URL',
        value: undefined,
        problem: 'production mode requires the public origin',
        fix: VARIABLES.PEYTONIX_PUBLIC_URL.fix,
      });
    }
    publicOrigin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  } else if (production && !publicOrigin.startsWith('https://')) {
    problems.push({
      variable: 'PEYTONIX_PUBLIC_URL',
      value: publicOrigin,
      problem: 'production mode requires https, because session cookies are Secure',
      fix: VARIABLES.PEYTONIX_PUBLIC_URL.fix,
    });
  }
  const sessionMaxMinutes = read<number>('PEYTONIX_SESSION_MAX_MINUTES');
  const sessionIdleMinutes = read<number>('PEYTONIX_SESSION_IDLE_MINUTES');
  if (sessionIdleMinutes > sessionMaxMinutes) {
    problems.push({
      variable: 'PEYTONIX_SESSION_IDLE_MINUTES',
      value: String(sessionIdleMinutes),
      problem: `it exceeds PEYTONIX_SESSION_MAX_MINUTES (${sessionMaxMinutes})`,
      fix: 'set PEYTONIX_SESSION_IDLE_MINUTES to at most PEYTONIX_SESSION_MAX_MINUTES',
    });
  }
  const runTimeoutSeconds = read<number>('PEYTONIX_RUN_TIMEOUT_SECONDS');
  const previewTimeoutSeconds = read<number>('PEYTONIX_PREVIEW_TIMEOUT_SECONDS');
  if (previewTimeoutSeconds > runTimeoutSeconds) {
    problems.push({
      variable: 'PEYTONIX_PREVIEW_TIMEOUT_SECONDS',
      value: String(previewTimeoutSeconds),
      problem: `it exceeds PEYTONIX_RUN_TIMEOUT_SECONDS (${runTimeoutSeconds})`,
      fix: VARIABLES.PEYTONIX_PREVIEW_TIMEOUT_SECONDS.fix,
    });
  }
  if (problems.length > 0) {
    throw new ConfigError(problems);
  }

  const poolMax = read<number>('PEYTONIX_DATABASE_POOL_MAX');
  const statementTimeoutMs = read<number>('PEYTONIX_DATABASE_STATEMENT_TIMEOUT_MS');
  const database: Config['database'] =
    ownerUrl !== undefined && appUrl !== undefined
      ? { kind: 'external', ownerUrl, appUrl, poolMax, statementTimeoutMs }
      : { kind: 'embedded', poolMax, statementTimeoutMs };

  return {
    mode,
    dataDir: path.resolve(read<string>('PEYTONIX_DATA_DIR')),
    http: {
      host,
      port,
      bodyLimitBytes: read<number>('PEYTONIX_BODY_LIMIT_BYTES'),
      trustProxy: read<false | number | string[]>('PEYTONIX_TRUST_PROXY'),
      rateLimit: {
        max: read<number>('PEYTONIX_RATE_LIMIT_MAX'),
        windowMs: read<number>('PEYTONIX_RATE_LIMIT_WINDOW_MS'),
      },
      shutdownTimeoutMs: read<number>('PEYTONIX_SHUTDOWN_TIMEOUT_MS'),
    },
    database,
    migrateOnStart: read<boolean | undefined>('PEYTONIX_MIGRATE_ON_START') ?? !production,
    workers: { enabled: read<boolean>('PEYTONIX_WORKERS') },
    runs: {
      timeoutMs: runTimeoutSeconds * 1000,
      previewTimeoutMs: previewTimeoutSeconds * 1000,
      memoryMb: read<number>('PEYTONIX_RUN_MEMORY_MB'),
      maxActivePreviewsPerUser: read<number>('PEYTONIX_MAX_ACTIVE_PREVIEWS_PER_USER'),
    },
    datasetImports: {
      maxColumns: read<number>('PEYTONIX_DATASET_MAX_COLUMNS'),
      importTimeoutMs: read<number>('PEYTONIX_DATASET_IMPORT_TIMEOUT_SECONDS') * 1000,
      previewTimeoutMs: read<number>('PEYTONIX_DATASET_PREVIEW_TIMEOUT_SECONDS') * 1000,
      maxConcurrent: read<number>('PEYTONIX_DATASET_MAX_CONCURRENT_IMPORTS'),
    },
    scanner: {
      address: read<ScannerConfig['address']>('PEYTONIX_CLAMD_ADDRESS'),
      timeoutMs: read<number>('PEYTONIX_CLAMD_TIMEOUT_MS'),
    },
    evidence: evidenceConfig(read),
    storage: storageConfig(storageKind, {
      bucket,
      kmsKeyId: storageKeyId,
      region: awsRegion,
      endpoint: read<string | undefined>('PEYTONIX_S3_ENDPOINT'),
    }),
    keys:
      keysKind === 'kms' && kmsKeyId !== undefined && awsRegion !== undefined
        ? { kind: 'kms', keyId: kmsKeyId, region: awsRegion }
        : { kind: 'local' },
    audit: {
      checkpointEvents: read<number>('PEYTONIX_AUDIT_CHECKPOINT_EVENTS'),
      checkpointIntervalMs: read<number>('PEYTONIX_AUDIT_CHECKPOINT_SECONDS') * 1000,
      verifyIntervalMs: read<number>('PEYTONIX_AUDIT_VERIFY_SECONDS') * 1000,
    },
    identity: {
      publicOrigin,
      mfaRequired: read<boolean>('PEYTONIX_MFA_REQUIRED'),
      accessTokenTtlMs: read<number>('PEYTONIX_ACCESS_TOKEN_SECONDS') * 1000,
      sessionMaxMs: sessionMaxMinutes * 60_000,
      sessionIdleMs: sessionIdleMinutes * 60_000,
      password: {
        memoryKib: read<number>('PEYTONIX_PASSWORD_MEMORY_KIB'),
        timeCost: read<number>('PEYTONIX_PASSWORD_TIME_COST'),
      },
    },
    log: { level: read<Config['log']['level']>('PEYTONIX_LOG_LEVEL') },
  };
}

/** Development default: the owner URL with the application role as user and no password. */
function deriveAppUrl(ownerUrl: string): string {
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = '';
  return url.toString();
}

/** Build the storage section; the checks above made every s3 setting present. */
function storageConfig(
  kind: 'local' | 's3',
  s3: {
    bucket: string | undefined;
    kmsKeyId: string | undefined;
    region: string | undefined;
    endpoint: string | undefined;
  },
): Config['storage'] {
  if (kind === 'local') return { kind };
  const { bucket, kmsKeyId, region, endpoint } = s3;
  if (bucket === undefined || kmsKeyId === undefined || region === undefined) {
    throw new Error('the s3 storage settings were checked before and cannot be missing');
  }
  return { kind, bucket, kmsKeyId, region, ...(endpoint === undefined ? {} : { endpoint }) };
}

function evidenceConfig(read: <T>(name: VariableName) => T): EvidenceConfig {
  const contentTypes = read<string[] | undefined>('PEYTONIX_EVIDENCE_CONTENT_TYPES');
  const extensions = read<string[] | undefined>('PEYTONIX_EVIDENCE_EXTENSIONS');
  return {
    maxBytes: read<number>('PEYTONIX_EVIDENCE_MAX_BYTES'),
    ...(contentTypes === undefined ? {} : { contentTypes }),
    ...(extensions === undefined ? {} : { extensions }),
    uploadUrlSeconds: read<number>('PEYTONIX_EVIDENCE_UPLOAD_URL_SECONDS'),
    downloadUrlSeconds: read<number>('PEYTONIX_EVIDENCE_DOWNLOAD_URL_SECONDS'),
  };
}
