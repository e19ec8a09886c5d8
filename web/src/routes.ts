/**
 * The dashboard's pages: each with the permission it needs (as the service's permission table names it). The
 * navigation shows only the pages the caller may open; a page opened by its address without the permission says
 * so instead of loading. Addresses are hash routes (`#/budgets/acme/ml`), so the service serves one page.
 */
export interface PageRoute {
  readonly id: PageId;
  readonly label: string;
  readonly permission: string;
  /** What the permission lets one do, for the message shown to those without it. */
  readonly needed: string;
}

export type PageId = 'overview' | 'budgets' | 'datasets' | 'jobs' | 'audit' | 'reports' | 'federation';

export const PAGES: readonly PageRoute[] = [
  { id: 'overview', label: 'Overview', permission: 'org.read', needed: 'read the organisation' },
  { id: 'budgets', label: 'Budgets', permission: 'budget.read', needed: 'read budgets' },
  { id: 'datasets', label: 'Datasets', permission: 'datasets.read', needed: 'read datasets' },
  { id: 'jobs', label: 'Jobs', permission: 'jobs.read', needed: 'read jobs' },
  { id: 'audit', label: 'Audit log', permission: 'audit.read', needed: 'read the audit log' },
  { id: 'reports', label: 'Reports', permission: 'reports.read', needed: 'read compliance reports' },
  { id: 'federation', label: 'Federation', permission: 'jobs.read', needed: 'read jobs' },
];

export interface Location {
  readonly page: PageId | 'unknown';
  /** The rest of the address: an account path, a job id, an audit sequence number, `new`. */
  readonly rest: string;
}

export function parseHash(hash: string): Location {
  const path = decodeURIComponent(hash.replace(/^#\/?/, ''));
  const [head = '', ...tail] = path.split('/');
  const page = head === '' ? 'overview' : (PAGES.find((p) => p.id === head)?.id ?? 'unknown');
  return { page, rest: tail.join('/') };
}

export function href(page: PageId, rest?: string | number): string {
  return `#/${page}${rest === undefined || rest === '' ? '' : `/${String(rest)}`}`;
}
