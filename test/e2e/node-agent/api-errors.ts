import { ApiException } from '@kubernetes/client-node';

/** The HTTP status of a failed API call, undefined for any other error. */
export function apiCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}
