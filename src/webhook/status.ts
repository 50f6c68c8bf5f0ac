import { z } from 'zod';

/**
 * The `trellis.dev/status` annotation: what the injector added, so that
 * re-injection is a no-op and `trellisctl`/the operator can tell what a pod
 * carries (and at which version) without knowing the injector's rules.
 */
export const injectionStatus = z.object({
  version: z.string(),
  native: z.boolean(),
  initContainers: z.array(z.string()),
  containers: z.array(z.string()),
  volumes: z.array(z.string()),
});
export type InjectionStatus = z.infer<typeof injectionStatus>;

export function formatStatus(status: InjectionStatus): string {
  return JSON.stringify(status);
}

/** The status, or undefined when the annotation is absent or not ours (it is user-editable). */
export function parseStatus(value: string | undefined): InjectionStatus | undefined {
  if (value === undefined) return undefined;
  try {
    const result = injectionStatus.safeParse(JSON.parse(value));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
