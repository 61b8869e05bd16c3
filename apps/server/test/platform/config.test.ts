import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATASET_IMPORTS_CONFIG } from '../../src/modules/datasets/datasets.service.ts';
import { ConfigError } from '../../src/platform/config/config-error.ts';
import { renderConfigurationDoc } from '../../src/platform/config/configuration-doc.ts';
import { loadConfig } from '../../src/platform/config/load-config.ts';
import { VARIABLES } from '../../src/platform/config/variables.ts';
import { runCliCaptured } from '../support/cli.ts';

const INVALID_VALUES: Record<string, string> = {
  PEYTONIX_MODE: 'staging',
  PEYTONIX_AUDIT_CHECKPOINT_EVENTS: '0',
  PEYTONIX_AUDIT_VERIFY_SECONDS: 'hourly',
  PEYTONIX_KMS_KEY_ID: 'my key',
  PEYTONIX_AWS_REGION: 'Europe',
  PEYTONIX_AUDIT_CHECKPOINT_SECONDS: '1.5',
  PEYTONIX_DATA_DIR: 'data\ndir',
  PEYTONIX_HOST: 'http://0.0.0.0/',
  PEYTONIX_PORT: '70000',
  DATABASE_URL: 'mysql://db.internal/peytonix',
  PEYTONIX_APP_DATABASE_URL: 'not a url',
  PEYTONIX_DATABASE_POOL_MAX: '0',
  PEYTONIX_DATABASE_STATEMENT_TIMEOUT_MS: '-5',
  PEYTONIX_MIGRATE_ON_START: 'maybe',
  PEYTONIX_WORKERS: 'yes',
  PEYTONIX_RUN_TIMEOUT_SECONDS: '1501',
  PEYTONIX_PREVIEW_TIMEOUT_SECONDS: '0',
  PEYTONIX_MAX_ACTIVE_PREVIEWS_PER_USER: 'none',
  PEYTONIX_DATASET_MAX_COLUMNS: '16385',
  PEYTONIX_DATASET_IMPORT_TIMEOUT_SECONDS: '9',
  PEYTONIX_DATASET_PREVIEW_TIMEOUT_SECONDS: 'two minutes',
  PEYTONIX_DATASET_MAX_CONCURRENT_IMPORTS: '0',
  PEYTONIX_RUN_MEMORY_MB: '128',
  PEYTONIX_S3_BUCKET: 'Not_A_Bucket',
  PEYTONIX_S3_KMS_KEY_ID: 'my key',
  PEYTONIX_S3_ENDPOINT: 'ftp://127.0.0.1',
  PEYTONIX_CLAMD_ADDRESS: 'unix:relative/clamd.ctl',
  PEYTONIX_CLAMD_TIMEOUT_MS: '10',
  PEYTONIX_EVIDENCE_MAX_BYTES: '0',
  PEYTONIX_EVIDENCE_CONTENT_TYPES: 'text/csv,;;',
  PEYTONIX_EVIDENCE_EXTENSIONS: '.pdf',
  PEYTONIX_EVIDENCE_UPLOAD_URL_SECONDS: '30',
  PEYTONIX_EVIDENCE_DOWNLOAD_URL_SECONDS: '7200',
  PEYTONIX_LOG_LEVEL: 'loud',
  PEYTONIX_BODY_LIMIT_BYTES: '12kb',
  PEYTONIX_RATE_LIMIT_MAX: '1.5',
  PEYTONIX_RATE_LIMIT_WINDOW_MS: 'ten',
  PEYTONIX_TRUST_PROXY: 'true',
  PEYTONIX_SHUTDOWN_TIMEOUT_MS: '1',
  PEYTONIX_STORAGE: 's4',
  PEYTONIX_KEYS: 'vault',
  PEYTONIX_PUBLIC_URL: 'https://audit.example.com/app',
  PEYTONIX_MFA_REQUIRED: 'always',
  PEYTONIX_ACCESS_TOKEN_SECONDS: '86400',
  PEYTONIX_SESSION_MAX_MINUTES: '2',
  PEYTONIX_SESSION_IDLE_MINUTES: '0',
  PEYTONIX_PASSWORD_MEMORY_KIB: '1024',
  PEYTONIX_PASSWORD_TIME_COST: '1',
  PEYTONIX_ALLOW_EMBEDDED_DATABASE: 'sure',
  PEYTONIX_ALLOW_LOCAL_STORAGE: 'y',
  PEYTONIX_ALLOW_LOCAL_KEYS: 'n',
};

const PRODUCTION_READY = {
  PEYTONIX_MODE: 'production',
  DATABASE_URL: 'postgres://owner@db.internal/peytonix',
  PEYTONIX_APP_DATABASE_URL: 'postgres://peytonix_app@db.internal/peytonix',
  PEYTONIX_ALLOW_LOCAL_STORAGE: 'true',
  PEYTONIX_ALLOW_LOCAL_KEYS: 'true',
  PEYTONIX_PUBLIC_URL: 'https://audit.example.com',
};

function problemsOf(env: Record<string, string>) {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted the configuration');
}

describe('configuration', () => {
  it('covers every variable with an invalid example', () => {
    expect(Object.keys(INVALID_VALUES).sort()).toEqual(Object.keys(VARIABLES).sort());
  });

  it('builds the embedded development defaults from an empty environment', () => {
    const config = loadConfig({});

    expect(config.mode).toBe('development');
    expect(config.database.kind).toBe('embedded');
    expect(config.http.port).toBe(3000);
    expect(config.migrateOnStart).toBe(true);
    expect(config.dataDir).toBe(path.resolve('.peytonix'));
  });

  it.each([
    ['127.0.0.1:3310', { host: '127.0.0.1', port: 3310 }],
    ['[::1]:3310', { host: '::1', port: 3310 }],
    ['clamd.internal:3310', { host: 'clamd.internal', port: 3310 }],
    ['unix:/run/clamav/clamd.ctl', { socketPath: '/run/clamav/clamd.ctl' }],
  ])('reads the clamd address %s', (text, address) => {
    const config = loadConfig({ PEYTONIX_CLAMD_ADDRESS: text });

    expect(config.scanner.address).toEqual(address);
  });

  it.each(['127.0.0.1', '127.0.0.1:0', '[127.0.0.1]:3310', 'host:99999', 'unix:'])(
    'rejects the clamd address %s',
    (text) => {
      const error = problemsOf({ PEYTONIX_CLAMD_ADDRESS: text });

      expect(error.problems.map((problem) => problem.variable)).toEqual(['PEYTONIX_CLAMD_ADDRESS']);
    },
  );

  it('reads the evidence allowlists in lowercase', () => {
    const config = loadConfig({
      PEYTONIX_EVIDENCE_CONTENT_TYPES: 'Application/PDF, text/csv',
      PEYTONIX_EVIDENCE_EXTENSIONS: 'PDF,csv',
    });

    expect(config.evidence.contentTypes).toEqual(['application/pdf', 'text/csv']);
    expect(config.evidence.extensions).toEqual(['pdf', 'csv']);
  });

  it('derives the application URL from DATABASE_URL in development', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://owner:pw@db.internal:5433/peytonix' });

    expect(config.database).toMatchObject({
      kind: 'external',
      appUrl: 'postgres://peytonix_app@db.internal:5433/peytonix',
    });
  });

  for (const [name, value] of Object.entries(INVALID_VALUES)) {
    it(`rejects invalid ${name}`, async () => {
      const env = { ...PRODUCTION_READY, PEYTONIX_MODE: 'development', [name]: value };
      const error = problemsOf(env);

      expect(error.problems.map((problem) => problem.variable)).toContain(name);
      const problem = error.problems.find((item) => item.variable === name);
      expect(problem?.fix).toBe(VARIABLES[name as keyof typeof VARIABLES].fix);
      expect(error.message).toContain(`${name}=`);
      expect(error.message).toContain('Fix:');

      const result = await runCliCaptured(['migrate', '--check'], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(name);
    });
  }

  const requiredInProduction: [string, string][] = [
    ['DATABASE_URL', 'refuses the embedded PostgreSQL'],
    ['PEYTONIX_APP_DATABASE_URL', 'explicit application-role connection'],
    ['PEYTONIX_ALLOW_LOCAL_STORAGE', 'refuses local evidence storage'],
    ['PEYTONIX_ALLOW_LOCAL_KEYS', 'refuses local key files'],
    ['PEYTONIX_PUBLIC_URL', 'requires the public origin'],
  ];
  for (const [name, problem] of requiredInProduction) {
    it(`requires ${name} in production`, async () => {
      const env: Record<string, string> = { ...PRODUCTION_READY };
      delete env[name];
      if (name === 'DATABASE_URL') delete env.PEYTONIX_APP_DATABASE_URL;

      const error = problemsOf(env);
      expect(error.problems.find((item) => item.variable === name)?.problem).toContain(problem);

      const result = await runCliCaptured(['migrate', '--check'], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(name);
    });
  }

  it.each([
    ['false', false],
    ['1', 1],
    ['10.0.0.0/8, 192.0.2.10', ['10.0.0.0/8', '192.0.2.10']],
    ['2001:db8::/32', ['2001:db8::/32']],
  ])('reads PEYTONIX_TRUST_PROXY=%s', (value, expected) => {
    expect(loadConfig({ PEYTONIX_TRUST_PROXY: value }).http.trustProxy).toEqual(expected);
  });

  it.each(['true', '11', '10.0.0.0/33', 'proxy.internal'])(
    'rejects PEYTONIX_TRUST_PROXY=%s',
    (value) => {
      expect(problemsOf({ PEYTONIX_TRUST_PROXY: value }).problems[0]?.variable).toBe(
        'PEYTONIX_TRUST_PROXY',
      );
    },
  );

  it('requires https for the public origin in production', () => {
    const error = problemsOf({
      ...PRODUCTION_READY,
      PEYTONIX_PUBLIC_URL: 'http://audit.example.com',
    });

    expect(error.problems.map((problem) => problem.problem)).toEqual([
      'production mode requires https, because session cookies are Secure',
    ]);
  });

  it('derives the public origin from host and port', () => {
    const config = loadConfig({ PEYTONIX_HOST: '::1', PEYTONIX_PORT: '4000' });

    expect(config.identity.publicOrigin).toBe('http://[::1]:4000');
  });

  it('rejects an idle timeout longer than the session', () => {
    const error = problemsOf({
      PEYTONIX_SESSION_MAX_MINUTES: '60',
      PEYTONIX_SESSION_IDLE_MINUTES: '61',
    });

    expect(error.problems.map((problem) => problem.variable)).toEqual([
      'PEYTONIX_SESSION_IDLE_MINUTES',
    ]);
  });

  it('reads the dataset import limits', () => {
    const defaults = loadConfig({}).datasetImports;
    const configured = loadConfig({
      PEYTONIX_DATASET_MAX_COLUMNS: '2000',
      PEYTONIX_DATASET_IMPORT_TIMEOUT_SECONDS: '600',
      PEYTONIX_DATASET_PREVIEW_TIMEOUT_SECONDS: '30',
      PEYTONIX_DATASET_MAX_CONCURRENT_IMPORTS: '4',
    }).datasetImports;

    expect(defaults).toEqual(DEFAULT_DATASET_IMPORTS_CONFIG);
    expect(defaults).toEqual({
      maxColumns: 1024,
      importTimeoutMs: 1_800_000,
      previewTimeoutMs: 120_000,
      maxConcurrent: 2,
    });
    expect(configured).toEqual({
      maxColumns: 2000,
      importTimeoutMs: 600_000,
      previewTimeoutMs: 30_000,
      maxConcurrent: 4,
    });
  });

  it('reads the run limits in milliseconds', () => {
    const defaults = loadConfig({}).runs;
    const configured = loadConfig({
      PEYTONIX_RUN_TIMEOUT_SECONDS: '600',
      PEYTONIX_PREVIEW_TIMEOUT_SECONDS: '30',
      PEYTONIX_RUN_MEMORY_MB: '1024',
      PEYTONIX_MAX_ACTIVE_PREVIEWS_PER_USER: '5',
    }).runs;

    expect(defaults).toEqual({
      timeoutMs: 900_000,
      previewTimeoutMs: 120_000,
      memoryMb: 4096,
      maxActivePreviewsPerUser: 2,
    });
    expect(configured).toEqual({
      timeoutMs: 600_000,
      previewTimeoutMs: 30_000,
      memoryMb: 1024,
      maxActivePreviewsPerUser: 5,
    });
  });

  it('rejects a preview time limit longer than the run limit', () => {
    const error = problemsOf({
      PEYTONIX_RUN_TIMEOUT_SECONDS: '60',
      PEYTONIX_PREVIEW_TIMEOUT_SECONDS: '61',
    });

    expect(error.problems.map((problem) => problem.variable)).toEqual([
      'PEYTONIX_PREVIEW_TIMEOUT_SECONDS',
    ]);
  });

  it('requires a KMS key id and region with PEYTONIX_KEYS=kms', () => {
    const error = problemsOf({ PEYTONIX_KEYS: 'kms' });

    expect(error.problems.map((problem) => problem.variable).sort()).toEqual([
      'PEYTONIX_AWS_REGION',
      'PEYTONIX_KMS_KEY_ID',
    ]);
  });

  it('requires a bucket, key and region with PEYTONIX_STORAGE=s3', () => {
    const error = problemsOf({ PEYTONIX_STORAGE: 's3' });

    expect(error.problems.map((problem) => problem.variable).sort()).toEqual([
      'PEYTONIX_AWS_REGION',
      'PEYTONIX_S3_BUCKET',
      'PEYTONIX_S3_KMS_KEY_ID',
    ]);
  });

  it('accepts production with S3 storage and no local-storage opt-in', () => {
    const env: Record<string, string> = {
      ...PRODUCTION_READY,
      PEYTONIX_STORAGE: 's3',
      PEYTONIX_S3_BUCKET: 'acme-peytonix-evidence',
      PEYTONIX_S3_KMS_KEY_ID: 'alias/peytonix-evidence',
      PEYTONIX_AWS_REGION: 'eu-west-1',
    };
    delete env.PEYTONIX_ALLOW_LOCAL_STORAGE;

    expect(loadConfig(env).storage).toEqual({
      kind: 's3',
      bucket: 'acme-peytonix-evidence',
      kmsKeyId: 'alias/peytonix-evidence',
      region: 'eu-west-1',
    });
  });

  it('accepts production with KMS keys and no local-keys opt-in', () => {
    const env: Record<string, string> = {
      ...PRODUCTION_READY,
      PEYTONIX_KEYS: 'kms',
      PEYTONIX_KMS_KEY_ID: 'alias/peytonix',
      PEYTONIX_AWS_REGION: 'eu-west-1',
    };
    delete env.PEYTONIX_ALLOW_LOCAL_KEYS;

    expect(loadConfig(env).keys).toEqual({
      kind: 'kms',
      keyId: 'alias/peytonix',
      region: 'eu-west-1',
    });
  });

  it('accepts production with every opt-in given', () => {
    expect(loadConfig(PRODUCTION_READY).mode).toBe('production');
    expect(loadConfig(PRODUCTION_READY).migrateOnStart).toBe(false);
  });

  it('accepts the embedded database in production only when opted in', () => {
    const env = {
      PEYTONIX_MODE: 'production',
      PEYTONIX_ALLOW_EMBEDDED_DATABASE: 'true',
      PEYTONIX_ALLOW_LOCAL_STORAGE: 'true',
      PEYTONIX_ALLOW_LOCAL_KEYS: 'true',
      PEYTONIX_PUBLIC_URL: 'https://audit.example.com',
    };
    expect(loadConfig(env).database.kind).toBe('embedded');
  });

  it('never prints a database password', () => {
    const error = problemsOf({ DATABASE_URL: 'postgres://owner:hunter2@db/x', PEYTONIX_PORT: 'x' });
    expect(error.message).not.toContain('hunter2');

    const badAppUrl = problemsOf({
      DATABASE_URL: 'postgres://owner@db/x',
      PEYTONIX_APP_DATABASE_URL: 'mysql://app:s3cret@db/x',
    });
    expect(badAppUrl.message).not.toContain('s3cret');
    expect(badAppUrl.message).toContain('***');
  });

  it('reads a JSON file and lets the environment override it', () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'peytonix-config-'));
    const file = path.join(directory, 'peytonix.json');
    writeFileSync(file, JSON.stringify({ PEYTONIX_PORT: 4100, PEYTONIX_WORKERS: false }));

    const config = loadConfig({ PEYTONIX_CONFIG_FILE: file, PEYTONIX_PORT: '4200' });
    expect(config.http.port).toBe(4200);
    expect(config.workers.enabled).toBe(false);
  });

  it('rejects unknown keys and unreadable files', () => {
    const directory = mkdtempSync(path.join(os.tmpdir(), 'peytonix-config-'));
    const file = path.join(directory, 'peytonix.json');
    writeFileSync(file, JSON.stringify({ PEYTONIX_PROT: 4100 }));
    expect(problemsOf({ PEYTONIX_CONFIG_FILE: file }).problems[0]?.variable).toBe('PEYTONIX_PROT');

    writeFileSync(file, '{ not json');
    expect(problemsOf({ PEYTONIX_CONFIG_FILE: file }).problems[0]?.variable).toBe(
      'PEYTONIX_CONFIG_FILE',
    );
  });
});

describe('configuration reference', () => {
  it('matches the variable catalogue', () => {
    const written = readFileSync(
      new URL('../../../../docs/configuration.md', import.meta.url),
      'utf8',
    );
    expect(written).toBe(renderConfigurationDoc());
  });
});
