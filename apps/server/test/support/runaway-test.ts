/**
 * A draft test whose query runs far longer than any test waits: a cross
 * join of two billion-row ranges over the payments input. Tests import it
 * with `importDraft` and run it as a preview to have a run that stays
 * running until it is stopped.
 */
export const RUNAWAY_TEST = {
  key: 'runaway-cross-join',
  name: 'Runaway cross join',
  severity: 'low',
  inputs: [
    {
      name: 'payments',
      description: 'Vendor payments.',
      fields: [{ name: 'amount', type: 'decimal', description: 'Amount paid.', required: true }],
    },
  ],
  keyColumns: ['n'],
  sql: 'SELECT count(*) AS n FROM payments, range(1000000000) a, range(1000000000) b',
};
