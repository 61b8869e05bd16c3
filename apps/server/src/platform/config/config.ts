/** The validated configuration that every other part of the server receives. */
export interface Config {
  mode: 'development' | 'production';
  dataDir: string;
  http: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    /** Fastify's trustProxy: false, a hop count, or trusted proxy addresses and CIDR ranges. */
    trustProxy: false | number | string[];
    rateLimit: { max: number; windowMs: number };
    shutdownTimeoutMs: number;
  };
  database: DatabaseConfig;
  migrateOnStart: boolean;
  workers: { enabled: boolean };
  runs: RunsConfig;
  datasetImports: DatasetImportsConfig;
  storage:
    | { kind: 'local' }
    | { kind: 's3'; bucket: string; kmsKeyId: string; region: string; endpoint?: string };
  keys: { kind: 'local' } | { kind: 'kms'; keyId: string; region: string };
  scanner: ScannerConfig;
  evidence: EvidenceConfig;
  audit: { checkpointEvents: number; checkpointIntervalMs: number; verifyIntervalMs: number };
  identity: IdentityConfig;
  log: { level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' };
}

/** Time limits of runs and the cap on one user's active previews. */
export interface RunsConfig {
  /** Time limit of each query of a real run or a re-performance of one, in ms. */
  timeoutMs: number;
  /** Time limit of each query of a preview, in ms. */
  previewTimeoutMs: number;
  /** DuckDB memory_limit of each query of a run or preview, in MiB. */
  memoryMb: number;
  /** Previews one user may have queued or running at once. */
  maxActivePreviewsPerUser: number;
}

/** Limits of dataset imports and previews. */
export interface DatasetImportsConfig {
  /** Most columns a dataset file may have. */
  maxColumns: number;
  /** Time limit of one import process, in ms. */
  importTimeoutMs: number;
  /** Time limit of one preview process, in ms. */
  previewTimeoutMs: number;
  /** Import and preview processes that one server or CLI process runs at once. */
  maxConcurrent: number;
}

/** The address of clamd and the time limit for each exchange with it. */
export interface ScannerConfig {
  address: { host: string; port: number } | { socketPath: string };
  timeoutMs: number;
}

/**
 * Limits of evidence files. The allowlists are as configured; the evidence
 * module checks at startup that it can verify the magic bytes of each type.
 */
export interface EvidenceConfig {
  maxBytes: number;
  /** Allowed media types; undefined allows every type the evidence module can verify. */
  contentTypes?: string[];
  /** Allowed extensions without dots; undefined allows every extension of an allowed type. */
  extensions?: string[];
  uploadUrlSeconds: number;
  downloadUrlSeconds: number;
}

/** Sign-in, session and password settings. */
export interface IdentityConfig {
  /** Origin browsers use, such as https://audit.example.com; no trailing slash. */
  publicOrigin: string;
  mfaRequired: boolean;
  accessTokenTtlMs: number;
  sessionMaxMs: number;
  sessionIdleMs: number;
  /** argon2id parameters for new hashes. */
  password: { memoryKib: number; timeCost: number };
}

/**
 * Database location. `external` carries two connections: the owner that
 * runs migrations and the application role used at run time. `embedded`
 * connections are only known once the embedded cluster has started.
 */
export type DatabaseConfig =
  | {
      kind: 'external';
      ownerUrl: string;
      appUrl: string;
      poolMax: number;
      statementTimeoutMs: number;
    }
  | { kind: 'embedded'; poolMax: number; statementTimeoutMs: number };

/** Name of the application role that migrations grant privileges to. */
export const APP_ROLE = 'peytonix_app';
