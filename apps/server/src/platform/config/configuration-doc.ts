import { VARIABLES } from './variables.ts';

/** Render docs/configuration.md from the variable catalogue, so the two cannot drift. */
export function renderConfigurationDoc(): string {
  const rows = Object.entries(VARIABLES).map(([name, spec]) => {
    const fallback = 'defaultValue' in spec ? `\`${spec.defaultValue}\`` : '(unset)';
    return `| \`${name}\` | ${fallback} | ${spec.description.replaceAll('|', '\\|')} |`;
  });
  return [
    '# Configuration reference',
    '',
    'Peytonix reads these variables from the environment, and from the JSON file named by `PEYTONIX_CONFIG_FILE` (a flat object with the same names; the environment wins). The command-line flags `--data-dir`, `--host` and `--port` override both. A missing or invalid value stops the process with exit code 2 and a message that names the variable and the fix.',
    '',
    'This page is generated from `apps/server/src/platform/config/variables.ts` by `npm run docs:config`.',
    '',
    '| variable | default | meaning |',
    '|---|---|---|',
    ...rows,
    '',
    'Commands that act as a user read the acting user from `--as EMAIL` or `PEYTONIX_AS`.',
    '',
  ].join('\n');
}
