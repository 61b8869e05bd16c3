import { Option } from 'commander';

export const dataDirOption = () =>
  new Option('--data-dir <dir>', 'data directory of the embedded PostgreSQL (PEYTONIX_DATA_DIR)');
export const jsonOption = () => new Option('--json', 'print the result as JSON');
export const asOption = () =>
  new Option('--as <email>', 'act as this user, with their grants (PEYTONIX_AS)');
