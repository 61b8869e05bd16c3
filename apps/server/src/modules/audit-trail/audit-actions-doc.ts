import { AUDIT_ACTIONS, AUDIT_CATEGORIES } from './audit-actions.ts';
import { DAMAGE_KINDS } from './verification/damage.ts';

/** Render docs/security/audit-actions.md from the catalogue. */
export function renderAuditActionsDoc(): string {
  const sections = Object.entries(AUDIT_CATEGORIES).flatMap(([category, title]) => {
    const rows = Object.entries(AUDIT_ACTIONS)
      .filter(([, spec]) => spec.category === category)
      .map(([code, spec]) => `| \`${code}\` | ${spec.description} |`);
    return [`## ${title}`, '', '| action | meaning |', '|---|---|', ...rows, ''];
  });
  const damage = Object.entries(DAMAGE_KINDS).map(
    ([kind, meaning]) => `| \`${kind}\` | ${meaning} |`,
  );

  return [
    '# Audit action catalogue',
    '',
    'Every audit event carries one of these action codes, an outcome (`success`, `denied` or `failure`) and, for denials and failures, a reason code. Codes are never renamed or reused.',
    '',
    'This page is generated from `apps/server/src/modules/audit-trail/audit-actions.ts` by `npm run docs:audit`.',
    '',
    ...sections,
    '## Damage reported by `peytonix audit verify`',
    '',
    '| kind | meaning |',
    '|---|---|',
    ...damage,
    '',
  ].join('\n');
}
