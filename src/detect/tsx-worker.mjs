// Starts a worker from TypeScript source (the tests run src/ through tsx): a worker thread does not inherit
// the loader the main thread registered, so it registers tsx itself before importing the worker's module.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
