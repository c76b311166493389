import type { AdminPackage, CatalogPackage } from "../api/types";

// The storefront lists every package the API returns, in the API's order:
// the home page's package counts come from the same catalog, so hiding rows
// here would make the two disagree.

/** Names the countries a package covers: "1 country" or "Covers 12 countries". */
export function coverageText(pkg: Pick<CatalogPackage, "countries">): string {
  const count = pkg.countries?.length ?? 0;
  if (count === 0) {
    return "";
  }
  return count === 1 ? "1 country" : `Covers ${count} countries`;
}

/** Lists the package's mobile networks, or "" when the API sends none. */
export function operatorsText(pkg: Pick<CatalogPackage, "operators">): string {
  const operators = (pkg.operators ?? []).filter((name) => name.trim() !== "");
  return operators.join(", ");
}

/**
 * Reports whether an admin package matches a filter typed on the catalog
 * page: every word must occur in its name, provider code or country codes,
 * ignoring case.
 */
export function matchesPackageFilter(pkg: AdminPackage, filter: string): boolean {
  const words = filter.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return true;
  }
  const haystack = [pkg.name, pkg.provider_package_id, ...(pkg.countries ?? [])].join(" ").toLowerCase();
  return words.every((word) => haystack.includes(word));
}

/** Counts the pages of size pageSize that items fill; an empty list still has page 1. */
export function pageCount(items: number, pageSize: number): number {
  return Math.max(1, Math.ceil(items / pageSize));
}

/** Returns page number page (from 1) of items. */
export function pageOf<T>(items: readonly T[], page: number, pageSize: number): T[] {
  const start = (page - 1) * pageSize;
  return items.slice(start, start + pageSize);
}
