/**
 * Vigil's own rule pack (`config/rules`, Sigma format, written for Vigil): detections of the
 * universally bad that every installation runs from the first start unless
 * `detection.builtin: false`. Found beside the sources and the build alike (both sit two
 * levels below the repository root).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BUILTIN_RULES = fileURLToPath(new URL('../../config/rules', import.meta.url));

/** The rule paths to load: the built-in pack (when enabled and shipped) first, then the user's. */
export function rulePaths(builtin: boolean, user: readonly string[]): string[] {
  return builtin && existsSync(BUILTIN_RULES) ? [BUILTIN_RULES, ...user] : [...user];
}

/** Resources `detection.sensitive` lists; each list adds to the defaults below. */
export interface SensitiveResources {
  /** Linux file paths (wildcards allowed), read by the auditd and osquery rules. */
  readonly paths?: readonly string[];
  /** Windows object names (4663 ObjectName, wildcards allowed). */
  readonly windowsObjects?: readonly string[];
  /** S3 buckets, or `bucket/prefix` for the objects under a prefix. */
  readonly s3?: readonly string[];
  /** Cloud Storage buckets, or `bucket/prefix`. */
  readonly gcs?: readonly string[];
}

/** Files whose reading or change is worth an alert on any Linux host. */
export const DEFAULT_SENSITIVE_PATHS: readonly string[] = [
  '/etc/shadow',
  '/etc/gshadow',
  '/etc/shadow-',
  '/etc/sudoers',
  '/etc/sudoers.d/*',
  '/etc/ssh/sshd_config',
  '/etc/ssh/ssh_host_*_key',
  '/root/.ssh/*',
  '/home/*/.ssh/id_*',
  '/home/*/.ssh/authorized_keys',
  '*/.aws/credentials',
  '*/.kube/config',
  '*/.docker/config.json',
  '/etc/pam.d/*',
  '/etc/ld.so.preload',
];

/** Credential stores on Windows: the AD database and the registry hives as files. */
export const DEFAULT_SENSITIVE_WINDOWS_OBJECTS: readonly string[] = [
  '*\\NTDS\\ntds.dit',
  '*\\System32\\config\\SAM',
  '*\\System32\\config\\SECURITY',
  '*\\System32\\config\\SYSTEM',
];

/**
 * The placeholder values the built-in rules read (`%vigil_sensitive_paths%`, …), merged under
 * the user's own `detection.placeholders` (the user's values win). A list left empty makes the
 * rules that read it match nothing rather than fail to load.
 */
export function builtinPlaceholders(
  user: Readonly<Record<string, readonly string[]>> = {},
  sensitive: SensitiveResources = {},
  changeWindows: readonly string[] = [],
): Record<string, readonly string[]> {
  const s3 = sensitive.s3 ?? [];
  const gcs = sensitive.gcs ?? [];
  const bucketAndPrefix = (entry: string) => {
    const i = entry.indexOf('/');
    return i < 0 ? { bucket: entry, prefix: undefined } : { bucket: entry.slice(0, i), prefix: entry.slice(i + 1) };
  };
  return {
    vigil_sensitive_paths: [...DEFAULT_SENSITIVE_PATHS, ...(sensitive.paths ?? [])],
    vigil_sensitive_windows_objects: [...DEFAULT_SENSITIVE_WINDOWS_OBJECTS, ...(sensitive.windowsObjects ?? [])],
    vigil_sensitive_s3_buckets: s3.filter((e) => !e.includes('/')),
    vigil_sensitive_s3_objects: s3.filter((e) => e.includes('/')).map((e) => `"arn:aws:s3:::${e}`),
    vigil_sensitive_gcs_objects: gcs.flatMap((e) => {
      const { bucket, prefix } = bucketAndPrefix(e);
      return prefix === undefined ? [`projects/_/buckets/${bucket}`, `projects/_/buckets/${bucket}/*`] : [`projects/_/buckets/${bucket}/objects/${prefix}*`];
    }),
    vigil_change_windows: [...changeWindows],
    ...user,
  };
}
