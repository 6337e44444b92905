// formscore public library API: everything a user or the CLI imports comes from here.

export * from './data/exercises.js';
export * from './nn/architecture.js';
export * from './evaluate/metrics.js';
