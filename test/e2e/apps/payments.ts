import { runService } from './service.js';

/** The `trellis-e2e/payments` image: the sample's last tier; VERSION (v1, v2) tells the canary apart (service.ts). */
runService({ name: 'payments' });
