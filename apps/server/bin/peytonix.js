#!/usr/bin/env node
// Entry point of the `peytonix` command. Node.js 24 runs the TypeScript
// sources directly by stripping types, so there is no build step.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `peytonix: Node.js 24 is required, found ${process.versions.node}. Run it through npx peytonix or npm scripts, which use the project's Node.js 24.\n`,
  );
  process.exit(2);
}

const { runCli } = await import('../src/cli/main.ts');
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
process.exitCode = code;
