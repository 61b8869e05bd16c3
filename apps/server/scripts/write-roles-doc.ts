import { mkdirSync, writeFileSync } from 'node:fs';
import { renderRolesDoc } from '../src/modules/access/roles-doc.ts';

const target = new URL('../../../docs/security/roles.md', import.meta.url);
mkdirSync(new URL('.', target), { recursive: true });
writeFileSync(target, renderRolesDoc());
