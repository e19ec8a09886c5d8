/**
 * Who may do what: the four roles of an organisation and the one permission table. Every route names one
 * permission (app/route.ts); the authorisation hook grants it only when the caller's role holds it and, for an
 * API key limited to scopes, the key's scopes include it. Organisation boundaries are not here: every query of
 * the service is filtered by the caller's organisation (store/), so no role reaches another organisation's objects.
 */

/** The roles of a principal within its organisation. */
export const ROLES = ['admin', 'data-steward', 'analyst', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

const ALL: readonly Role[] = ROLES;

/**
 * The permission table: each permission and the roles that hold it. An administrator holds every permission;
 * the others hold what their work needs and no more (least privilege):
 * - data stewards register datasets, create and allocate budgets, spend by hand and read the log;
 * - analysts submit, read and cancel jobs and read budgets and datasets;
 * - auditors read everything that is evidence (audit log, reports, principals, jobs) and change nothing.
 */
export const PERMISSIONS = {
  'org.read': ALL,
  'principals.read': ['admin', 'auditor'],
  'principals.manage': ['admin'],
  'keys.manage': ['admin'],
  'budget.read': ALL,
  'budget.manage': ['admin', 'data-steward'],
  'budget.spend': ['admin', 'data-steward'],
  'datasets.read': ALL,
  'datasets.manage': ['admin', 'data-steward'],
  'jobs.submit': ['admin', 'analyst'],
  'jobs.read': ALL,
  'jobs.cancel': ['admin', 'analyst'],
  'audit.read': ['admin', 'data-steward', 'auditor'],
  'audit.export': ['admin', 'auditor'],
  'reports.read': ['admin', 'data-steward', 'auditor'],
  'privacy.calculate': ALL,
  'metrics.read': ['admin', 'auditor'],
  'alerts.manage': ['admin', 'data-steward'],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

/** Every permission, in the table's order. */
export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

/** Whether `role` holds `permission`. */
export function roleHolds(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

/** The permissions `role` holds. */
export function permissionsOf(role: Role): Permission[] {
  return PERMISSION_NAMES.filter((p) => roleHolds(role, p));
}

/** Whether `value` is a role name. */
export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `value` is a permission name. */
export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && Object.hasOwn(PERMISSIONS, value);
}

/** 'a' or 'an' before a role's name, for messages ("an analyst", "a data-steward"). */
export function article(role: string): string {
  return /^[aeiou]/i.test(role) ? 'an' : 'a';
}
