import { mkdirSync, writeFileSync } from 'node:fs';
import { renderAuditActionsDoc } from '../src/modules/audit-trail/audit-actions-doc.ts';

const target = new URL('../../../docs/security/audit-actions.md', import.meta.url);
mkdirSync(new URL('.', target), { recursive: true });
writeFileSync(target, renderAuditActionsDoc());
