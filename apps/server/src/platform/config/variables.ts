import { isIP } from 'node:net';
import { z } from 'zod';

const booleanText = z
  .enum(['true', 'false', '1', '0'], { error: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1');

const integerText = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: `expected a whole number from ${min} to ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .min(min, { error: `expected a whole number from ${min} to ${max}` })
        .max(max, { error: `expected a whole number from ${min} to ${max}` }),
    );

const postgresUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'postgres:' || url.protocol === 'postgresql:';
    } catch {
      return false;
    }
  },
  { error: 'expected a postgres:// or postgresql:// URL' },
);

function isOriginUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'https:' || url.protocol === 'http:') &&
      url.origin === value.replace(/\/$/, '') &&
      url.username === '' &&
      url.password === ''
    );
  } catch {
    return false;
  }
}

/** false, a hop count from 1 to 10, or a comma-separated list of IP addresses and CIDR ranges. */
const trustProxyText = z.string().transform((value, context): false | number | string[] => {
  const text = value.trim();
  if (text === 'false' || text === '0') return false;
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops >= 1 && hops <= 10) return hops;
  } else {
    const entries = text.split(',').map((entry) => entry.trim());
    const valid = entries.every((entry) => {
      const [address = '', prefix, extra] = entry.split('/');
      if (extra !== undefined || isIP(address) === 0) return false;
      if (prefix === undefined) return true;
      const bits = Number(prefix);
      return /^\d+$/.test(prefix) && bits <= (isIP(address) === 4 ? 32 : 128);
    });
    if (valid && entries.length > 0) return entries;
  }
  context.addIssue({
    code: 'custom',
    message:
      'expected false, a hop count from 1 to 10, or comma-separated IP addresses or CIDR ranges',
  });
  return z.NEVER;
});

/** host:port, [ipv6]:port or unix:/absolute/path, as PEYTONIX_CLAMD_ADDRESS takes it. */
const clamdAddressText = z
  .string()
  .transform((value, context): { host: string; port: number } | { socketPath: string } => {
    const text = value.trim();
    if (text.startsWith('unix:')) {
      const socketPath = text.slice('unix:'.length);
      if (socketPath.startsWith('/') && !/[\0\n]/.test(socketPath)) return { socketPath };
    } else {
      const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
      const host = match?.[1] ?? match?.[2];
      const port = Number(match?.[3]);
      const hostValid = match?.[1] === undefined || isIP(match[1]) === 6;
      if (host !== undefined && hostValid && port >= 1 && port <= 65_535) return { host, port };
    }
    context.addIssue({
      code: 'custom',
      message: 'expected host:port, [ipv6]:port or unix:/absolute/socket/path',
    });
    return z.NEVER;
  });

/** Parse a comma-separated list into lowercase items, ignoring blanks around commas. */
const listText = z.string().transform((value, context): string[] => {
  const items = value
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
  if (items.length > 0 && items.every((item) => /^[a-z0-9][a-z0-9.+/-]{0,126}$/.test(item))) {
    return items;
  }
  context.addIssue({ code: 'custom', message: 'expected a comma-separated list' });
  return z.NEVER;
});

/**
 * One configuration variable: its schema, its default and the fix that an
 * error message prints when the value is missing or invalid.
 */
export interface VariableSpec {
  schema: z.ZodType<unknown, string>;
  defaultValue?: string;
  description: string;
  fix: string;
}

/**
 * The catalogue of configuration variables. `docs/configuration.md` is written
 * from this table, and every message about a bad value quotes its `fix`.
 */
export const VARIABLES = {
  PEYTONIX_MODE: {
    schema: z.enum(['development', 'production'], { error: 'expected development or production' }),
    defaultValue: 'development',
    description:
      'Run mode. production refuses the embedded database, local storage and local keys unless each is opted into.',
    fix: 'set PEYTONIX_MODE to development or production',
  },
  PEYTONIX_DATA_DIR: {
    schema: z
      .string()
      .min(1, { error: 'expected a directory path' })
      .refine((value) => ![...value].some((character) => character.charCodeAt(0) < 0x20), {
        error: 'expected a directory path without control characters',
      }),
    defaultValue: './.peytonix',
    description:
      'Directory for the embedded PostgreSQL cluster, its lock file, local keys and local evidence.',
    fix: 'set PEYTONIX_DATA_DIR (or pass --data-dir) to a writable directory',
  },
  PEYTONIX_HOST: {
    schema: z
      .string()
      .regex(/^[A-Za-z0-9.:-]{1,253}$/, { error: 'expected a host name or IP address' }),
    defaultValue: '127.0.0.1',
    description: 'Address the HTTP server listens on.',
    fix: 'set PEYTONIX_HOST to an address such as 127.0.0.1 or 0.0.0.0',
  },
  PEYTONIX_PORT: {
    schema: integerText(0, 65535),
    defaultValue: '3000',
    description: 'TCP port the HTTP server listens on; 0 picks a free port.',
    fix: 'set PEYTONIX_PORT to a port number such as 3000',
  },
  DATABASE_URL: {
    schema: postgresUrl,
    description:
      'PostgreSQL (15 or later) connection for the owner role that runs migrations. Unset: the embedded PostgreSQL in the data directory.',
    fix: 'set DATABASE_URL to a URL such as postgres://peytonix_owner@db.internal:5432/peytonix, or unset it to use the embedded PostgreSQL',
  },
  PEYTONIX_APP_DATABASE_URL: {
    schema: postgresUrl,
    description:
      'PostgreSQL connection for the application role (peytonix_app) that the server uses at run time. Defaults to DATABASE_URL with the user replaced by peytonix_app, outside production.',
    fix: 'set PEYTONIX_APP_DATABASE_URL to a URL whose user is peytonix_app or a member of it',
  },
  PEYTONIX_DATABASE_POOL_MAX: {
    schema: integerText(1, 500),
    defaultValue: '10',
    description: 'Maximum connections in the application pool of each process.',
    fix: 'set PEYTONIX_DATABASE_POOL_MAX to a number such as 10',
  },
  PEYTONIX_DATABASE_STATEMENT_TIMEOUT_MS: {
    schema: integerText(100, 3_600_000),
    defaultValue: '30000',
    description: 'statement_timeout for application queries, in milliseconds.',
    fix: 'set PEYTONIX_DATABASE_STATEMENT_TIMEOUT_MS to milliseconds such as 30000',
  },
  PEYTONIX_MIGRATE_ON_START: {
    schema: booleanText,
    description:
      'Apply pending migrations when the server starts. Default: true in development, false in production.',
    fix: 'set PEYTONIX_MIGRATE_ON_START to true or false',
  },
  PEYTONIX_WORKERS: {
    schema: booleanText,
    defaultValue: 'true',
    description:
      'Run background job workers in the server process. Set false when separate `peytonix worker` processes run them.',
    fix: 'set PEYTONIX_WORKERS to true or false',
  },
  PEYTONIX_RUN_TIMEOUT_SECONDS: {
    schema: integerText(1, 1500),
    defaultValue: '900',
    description:
      'Time limit of each query of a real run, and of a re-performance of one, in seconds. A run job expires after 60 minutes, and a run with summary SQL runs two queries, hence the maximum of 1500.',
    fix: 'set PEYTONIX_RUN_TIMEOUT_SECONDS to seconds from 1 to 1500, such as 900',
  },
  PEYTONIX_PREVIEW_TIMEOUT_SECONDS: {
    schema: integerText(1, 1500),
    defaultValue: '120',
    description:
      'Time limit of each query of a preview, in seconds, so that a runaway draft holds a worker only briefly. At most PEYTONIX_RUN_TIMEOUT_SECONDS.',
    fix: 'set PEYTONIX_PREVIEW_TIMEOUT_SECONDS to seconds such as 120, at most PEYTONIX_RUN_TIMEOUT_SECONDS',
  },
  PEYTONIX_RUN_MEMORY_MB: {
    schema: integerText(256, 1_048_576),
    defaultValue: '4096',
    description:
      "DuckDB's memory_limit for each query of a run, in MiB; beyond it DuckDB spills to the run's temporary directory. The query's process is killed when its resident memory exceeds twice this plus 256 MiB, so give each worker at least that much memory.",
    fix: 'set PEYTONIX_RUN_MEMORY_MB to MiB from 256 to 1048576, such as 4096',
  },
  PEYTONIX_MAX_ACTIVE_PREVIEWS_PER_USER: {
    schema: integerText(1, 100),
    defaultValue: '2',
    description:
      'Previews (re-performances included) that one user may have queued or running at once; a further request gets 429 RATE_LIMITED.',
    fix: 'set PEYTONIX_MAX_ACTIVE_PREVIEWS_PER_USER to a whole number from 1 to 100, such as 2',
  },
  PEYTONIX_DATASET_MAX_COLUMNS: {
    schema: integerText(1, 16_384),
    defaultValue: '1024',
    description:
      'Most columns a dataset file may have, for imports and previews. A wider file is rejected with TOO_MANY_COLUMNS before its rows are read. Each column adds to the time of an import; a one-row file of 1,024 columns took about 16 s on 2 cores. At most 16384, the column count of an XLSX sheet.',
    fix: 'set PEYTONIX_DATASET_MAX_COLUMNS to a whole number from 1 to 16384, such as 1024',
  },
  PEYTONIX_DATASET_IMPORT_TIMEOUT_SECONDS: {
    schema: integerText(10, 86_400),
    defaultValue: '1800',
    description:
      'Time limit of one dataset import process, from the browser or the CLI, in seconds. The import is stopped with RESOURCE_LIMIT beyond it.',
    fix: 'set PEYTONIX_DATASET_IMPORT_TIMEOUT_SECONDS to seconds from 10 to 86400, such as 1800',
  },
  PEYTONIX_DATASET_PREVIEW_TIMEOUT_SECONDS: {
    schema: integerText(5, 3_600),
    defaultValue: '120',
    description:
      'Time limit of one dataset preview from the browser, in seconds. Someone waits for each preview, so keep it short; larger files can be imported with the CLI.',
    fix: 'set PEYTONIX_DATASET_PREVIEW_TIMEOUT_SECONDS to seconds from 5 to 3600, such as 120',
  },
  PEYTONIX_DATASET_MAX_CONCURRENT_IMPORTS: {
    schema: integerText(1, 64),
    defaultValue: '2',
    description:
      'Dataset imports and previews that one server process runs at once. Each runs in its own process that may use 2048 MiB of memory. A further request gets 429 RATE_LIMITED with Retry-After instead of waiting.',
    fix: 'set PEYTONIX_DATASET_MAX_CONCURRENT_IMPORTS to a whole number from 1 to 64, such as 2',
  },
  PEYTONIX_LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'expected fatal, error, warn, info, debug, trace or silent',
    }),
    defaultValue: 'info',
    description: 'Minimum level of log lines written to standard output.',
    fix: 'set PEYTONIX_LOG_LEVEL to one of fatal, error, warn, info, debug, trace, silent',
  },
  PEYTONIX_BODY_LIMIT_BYTES: {
    schema: integerText(1024, 100 * 1024 * 1024),
    defaultValue: String(1024 * 1024),
    description:
      'Largest request body accepted, in bytes. Evidence files never pass through the API, so this stays small.',
    fix: 'set PEYTONIX_BODY_LIMIT_BYTES to a byte count such as 1048576',
  },
  PEYTONIX_RATE_LIMIT_MAX: {
    schema: integerText(1, 1_000_000),
    defaultValue: '600',
    description: 'Requests allowed per client address in each rate-limit window.',
    fix: 'set PEYTONIX_RATE_LIMIT_MAX to a number such as 600',
  },
  PEYTONIX_RATE_LIMIT_WINDOW_MS: {
    schema: integerText(1000, 3_600_000),
    defaultValue: '60000',
    description: 'Length of the rate-limit window, in milliseconds.',
    fix: 'set PEYTONIX_RATE_LIMIT_WINDOW_MS to milliseconds such as 60000',
  },
  PEYTONIX_TRUST_PROXY: {
    schema: trustProxyText,
    defaultValue: 'false',
    description:
      "Which proxies may set X-Forwarded-For: false (none; the socket address is the client), the number of proxy hops in front of the server (such as 1 behind one load balancer), or a comma-separated list of proxy addresses or CIDR ranges. Addresses to the left of the trusted ones are the client's own claim and are never used.",
    fix: 'set PEYTONIX_TRUST_PROXY to false, a hop count such as 1, or proxy addresses such as 10.0.0.0/8',
  },
  PEYTONIX_SHUTDOWN_TIMEOUT_MS: {
    schema: integerText(100, 600_000),
    defaultValue: '10000',
    description:
      'Time allowed for in-flight requests and jobs to finish on SIGTERM before the process exits, in milliseconds.',
    fix: 'set PEYTONIX_SHUTDOWN_TIMEOUT_MS to milliseconds such as 10000',
  },
  PEYTONIX_STORAGE: {
    schema: z.enum(['local', 's3'], { error: 'expected local or s3' }),
    defaultValue: 'local',
    description:
      'Object storage for datasets and evidence. local keeps encrypted files under the data directory. s3 keeps them in the bucket PEYTONIX_S3_BUCKET, encrypted by S3 under the KMS key PEYTONIX_S3_KMS_KEY_ID, in PEYTONIX_AWS_REGION.',
    fix: 'set PEYTONIX_STORAGE to local or s3',
  },
  PEYTONIX_S3_BUCKET: {
    schema: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'expected an S3 bucket name' }),
    description: 'With PEYTONIX_STORAGE=s3, the bucket that stores every object.',
    fix: 'set PEYTONIX_S3_BUCKET to a bucket name such as acme-peytonix-evidence',
  },
  PEYTONIX_S3_KMS_KEY_ID: {
    schema: z
      .string()
      .regex(
        /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/,
        { error: 'expected a KMS key id, key ARN, alias name or alias ARN' },
      ),
    description:
      'With PEYTONIX_STORAGE=s3, the KMS key that S3 encrypts every object under (SSE-KMS); every upload names it.',
    fix: 'set PEYTONIX_S3_KMS_KEY_ID to a key id, key ARN or alias such as alias/peytonix-evidence',
  },
  PEYTONIX_S3_ENDPOINT: {
    schema: z.url({ protocol: /^https?$/, error: 'expected an http or https URL' }),
    description:
      'With PEYTONIX_STORAGE=s3, the endpoint of an S3-compatible server instead of AWS, addressed by path. Leave it unset for AWS S3.',
    fix: 'set PEYTONIX_S3_ENDPOINT to a URL such as http://127.0.0.1:4568, or leave it unset for AWS S3',
  },
  PEYTONIX_CLAMD_ADDRESS: {
    schema: clamdAddressText,
    defaultValue: '127.0.0.1:3310',
    description:
      "Where ClamAV's clamd listens: host:port (an IPv6 host in brackets, such as [::1]:3310) or unix:/path/to/clamd.ctl. Every evidence file is scanned there before anyone can download it; while clamd is unreachable, files wait in scan_pending.",
    fix: 'set PEYTONIX_CLAMD_ADDRESS to host:port such as 127.0.0.1:3310, or unix: and an absolute socket path',
  },
  PEYTONIX_CLAMD_TIMEOUT_MS: {
    schema: integerText(1000, 600_000),
    defaultValue: '30000',
    description:
      'Time limit for connecting to clamd, for each write to it and for its verdict, in milliseconds. A scan that exceeds it leaves the file in scan_pending.',
    fix: 'set PEYTONIX_CLAMD_TIMEOUT_MS to milliseconds from 1000 to 600000, such as 30000',
  },
  PEYTONIX_EVIDENCE_MAX_BYTES: {
    schema: integerText(1, 5 * 1024 ** 3),
    defaultValue: String(100 * 1024 ** 2),
    description:
      "Largest evidence file in bytes, at most 5 GiB (one S3 PUT). Set clamd's StreamMaxLength to at least this, or larger files stay in scan_pending.",
    fix: 'set PEYTONIX_EVIDENCE_MAX_BYTES to a number of bytes such as 104857600',
  },
  PEYTONIX_EVIDENCE_CONTENT_TYPES: {
    schema: listText,
    description:
      'Comma-separated media types allowed for evidence, such as application/pdf,text/csv. Unset allows every type whose magic bytes Peytonix can check; a type outside that set stops startup.',
    fix: 'set PEYTONIX_EVIDENCE_CONTENT_TYPES to media types such as application/pdf,image/png, or leave it unset',
  },
  PEYTONIX_EVIDENCE_EXTENSIONS: {
    schema: listText,
    description:
      'Comma-separated file extensions allowed for evidence, without dots, such as pdf,png,xlsx. Unset allows every extension of an allowed type.',
    fix: 'set PEYTONIX_EVIDENCE_EXTENSIONS to extensions such as pdf,csv,xlsx, or leave it unset',
  },
  PEYTONIX_EVIDENCE_UPLOAD_URL_SECONDS: {
    schema: integerText(60, 86_400),
    defaultValue: '900',
    description: 'Lifetime of an evidence upload URL, in seconds.',
    fix: 'set PEYTONIX_EVIDENCE_UPLOAD_URL_SECONDS to seconds from 60 to 86400, such as 900',
  },
  PEYTONIX_EVIDENCE_DOWNLOAD_URL_SECONDS: {
    schema: integerText(10, 3600),
    defaultValue: '60',
    description:
      'Lifetime of an evidence download or view URL, in seconds. Each URL is issued, and audited, for one request.',
    fix: 'set PEYTONIX_EVIDENCE_DOWNLOAD_URL_SECONDS to seconds from 10 to 3600, such as 60',
  },
  PEYTONIX_KEYS: {
    schema: z.enum(['local', 'kms'], { error: 'expected local or kms' }),
    defaultValue: 'local',
    description:
      'Key provider. local keeps key files under the data directory. kms keeps keys in the database, encrypted under the AWS KMS key PEYTONIX_KMS_KEY_ID.',
    fix: 'set PEYTONIX_KEYS to local or kms',
  },
  PEYTONIX_KMS_KEY_ID: {
    schema: z
      .string()
      .regex(
        /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[A-Za-z0-9/_-]+|alias\/[A-Za-z0-9/_-]+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/,
        { error: 'expected a KMS key id, key ARN, alias name or alias ARN' },
      ),
    description: 'With PEYTONIX_KEYS=kms, the symmetric KMS key that encrypts Peytonix keys.',
    fix: 'set PEYTONIX_KMS_KEY_ID to a key id, key ARN or alias such as alias/peytonix',
  },
  PEYTONIX_AWS_REGION: {
    schema: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, { error: 'expected an AWS region such as eu-west-1' }),
    description:
      'With PEYTONIX_KEYS=kms or PEYTONIX_STORAGE=s3, the AWS region of the KMS key and the bucket.',
    fix: 'set PEYTONIX_AWS_REGION to the region of the KMS key and bucket, such as eu-west-1',
  },
  PEYTONIX_AUDIT_CHECKPOINT_EVENTS: {
    schema: integerText(1, 1_000_000),
    defaultValue: '1000',
    description: 'Sign an audit checkpoint once this many events are not yet covered by one.',
    fix: 'set PEYTONIX_AUDIT_CHECKPOINT_EVENTS to a whole number such as 1000',
  },
  PEYTONIX_AUDIT_CHECKPOINT_SECONDS: {
    schema: integerText(1, 86_400),
    defaultValue: '60',
    description:
      'Sign an audit checkpoint once the oldest event not yet covered by one is this many seconds old.',
    fix: 'set PEYTONIX_AUDIT_CHECKPOINT_SECONDS to a whole number of seconds such as 60',
  },
  PEYTONIX_AUDIT_VERIFY_SECONDS: {
    schema: integerText(1, 604_800),
    defaultValue: '3600',
    description:
      'How often the server verifies the whole audit chain and every checkpoint, in seconds. Each result is stored for GET /api/v1/audit/verification, which reports it as stale after twice this interval plus five minutes. Damage fails readiness and stops checkpoint signing.',
    fix: 'set PEYTONIX_AUDIT_VERIFY_SECONDS to a whole number of seconds such as 3600',
  },
  PEYTONIX_PUBLIC_URL: {
    schema: z.string().refine(isOriginUrl, {
      error: 'expected an origin such as https://audit.example.com, without a path',
    }),
    description:
      'Origin that browsers use to reach Peytonix. Cookie-authenticated requests must come from it, passkeys are bound to its host, and access tokens name it as issuer. Default: http://PEYTONIX_HOST:PEYTONIX_PORT outside production.',
    fix: 'set PEYTONIX_PUBLIC_URL to the origin users open, such as https://audit.example.com',
  },
  PEYTONIX_MFA_REQUIRED: {
    schema: booleanText,
    defaultValue: 'true',
    description:
      'Require a second factor. A user without one gets a session that can only enrol a factor.',
    fix: 'set PEYTONIX_MFA_REQUIRED to true or false',
  },
  PEYTONIX_ACCESS_TOKEN_SECONDS: {
    schema: integerText(60, 3600),
    defaultValue: '600',
    description: 'Lifetime of an access token, in seconds.',
    fix: 'set PEYTONIX_ACCESS_TOKEN_SECONDS to seconds from 60 to 3600, such as 600',
  },
  PEYTONIX_SESSION_MAX_MINUTES: {
    schema: integerText(5, 43_200),
    defaultValue: '720',
    description:
      'Absolute lifetime of a session from sign-in, in minutes; refresh cannot extend it.',
    fix: 'set PEYTONIX_SESSION_MAX_MINUTES to minutes such as 720',
  },
  PEYTONIX_SESSION_IDLE_MINUTES: {
    schema: integerText(1, 43_200),
    defaultValue: '30',
    description: 'A session with no request for this many minutes ends.',
    fix: 'set PEYTONIX_SESSION_IDLE_MINUTES to minutes such as 30',
  },
  PEYTONIX_PASSWORD_MEMORY_KIB: {
    schema: integerText(19_456, 4_194_304),
    defaultValue: '19456',
    description:
      'argon2id memory cost for new password hashes, in KiB. Stored hashes with other parameters are rehashed at the next sign-in.',
    fix: 'set PEYTONIX_PASSWORD_MEMORY_KIB to KiB of at least 19456',
  },
  PEYTONIX_PASSWORD_TIME_COST: {
    schema: integerText(2, 20),
    defaultValue: '2',
    description: 'argon2id iterations for new password hashes.',
    fix: 'set PEYTONIX_PASSWORD_TIME_COST to a number of at least 2',
  },
  PEYTONIX_ALLOW_EMBEDDED_DATABASE: {
    schema: booleanText,
    defaultValue: 'false',
    description: 'In production mode, allow the embedded PostgreSQL.',
    fix: 'set DATABASE_URL to a managed PostgreSQL, or set PEYTONIX_ALLOW_EMBEDDED_DATABASE=true to accept the embedded one',
  },
  PEYTONIX_ALLOW_LOCAL_STORAGE: {
    schema: booleanText,
    defaultValue: 'false',
    description: 'In production mode, allow evidence storage on the local disk.',
    fix: 'set PEYTONIX_ALLOW_LOCAL_STORAGE=true to accept evidence on the local disk',
  },
  PEYTONIX_ALLOW_LOCAL_KEYS: {
    schema: booleanText,
    defaultValue: 'false',
    description: 'In production mode, allow local key files instead of PEYTONIX_KEYS=kms.',
    fix: 'set PEYTONIX_KEYS=kms with PEYTONIX_KMS_KEY_ID, or PEYTONIX_ALLOW_LOCAL_KEYS=true to accept local key files',
  },
} satisfies Record<string, VariableSpec>;

export type VariableName = keyof typeof VARIABLES;

export const CONFIG_FILE_VARIABLE = 'PEYTONIX_CONFIG_FILE';
