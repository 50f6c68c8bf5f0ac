import { runService } from './service.js';

/**
 * The `trellis-e2e/flaky` image: a payments replica that answers 500 to
 * FAIL_PERCENT of its requests (50 unless set), for retries and outlier ejection.
 */
runService({ name: 'payments', failPercent: 50 });
