import { runService } from './service.js';

/** The `trellis-e2e/frontend` image: the sample's frontend, which calls orders and answers with its reply nested (service.ts). */
runService({ name: 'frontend', upstream: 'orders' });
