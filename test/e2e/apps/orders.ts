import { runService } from './service.js';

/** The `trellis-e2e/orders` image: the sample's orders, which calls payments and answers with its reply nested (service.ts). */
runService({ name: 'orders', upstream: 'payments' });
