export const EXPORT_FORMATS = ['csv', 'xlsx'] as const;

export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The selection of an export: every exception of one test, or the exceptions one run flagged. */
export type ExportFilter =
  | { kind: 'test'; entityCode: string; testKey: string }
  | { kind: 'run'; runId: string };

/** The loaded test or run of an export, with the entity that scopes it. */
export type ExportTarget =
  | { kind: 'test'; testId: string; entityId: string; entityCode: string; testKey: string }
  | {
      kind: 'run';
      runId: string;
      runNumber: number;
      testId: string;
      entityId: string;
      entityCode: string;
      testKey: string;
    };

/** One cell of an exported row: text, a number, or empty. */
export type Cell = string | number | null;
