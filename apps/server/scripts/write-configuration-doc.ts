import { writeFileSync } from 'node:fs';
import { renderConfigurationDoc } from '../src/platform/config/configuration-doc.ts';

writeFileSync(new URL('../../../docs/configuration.md', import.meta.url), renderConfigurationDoc());
