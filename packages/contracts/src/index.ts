export * from './audit.ts';
export * from './datasets.ts';
export * from './entities.ts';
export * from './identity.ts';
export * from './problem.ts';
export * from './runs.ts';
export * from './setup.ts';
export * from './text.ts';
