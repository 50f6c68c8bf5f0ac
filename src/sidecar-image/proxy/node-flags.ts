/**
 * The V8 flags the image's `trellis-proxy` launcher runs node with (the Dockerfile writes them into
 * /usr/local/bin/trellis-proxy; node-flags.test.ts keeps the two the same), and what the benchmarks
 * run the proxy with. main.ts cannot set them itself: V8 sizes the heap when the isolate starts.
 * - `--max-semi-space-size=1`: the young generation otherwise grows to 2 × 16 MB under load (peak
 *   RSS ~103 → ~75 MB per proxy).
 * - `--single-threaded-gc`: scavenges run on the main thread instead of waking helper threads; in
 *   a sidecar sharing a couple of cores with its app that is less CPU per request, not more
 *   (docs/proxy-performance.md).
 */
export const proxyNodeFlags: readonly string[] = ['--max-semi-space-size=1', '--single-threaded-gc'];
