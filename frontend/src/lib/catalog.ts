import type { CatalogPackage } from "../api/types";

/**
 * Drops packages a customer could not tell apart from an earlier one in the
 * list: same provider, name, countries, data, validity and price. Providers
 * sometimes list one offer under several codes, and two identical rows read
 * as a mistake. The first of each kind stays, so a cheapest-first list keeps
 * its order.
 */
export function distinctOffers(packages: readonly CatalogPackage[]): CatalogPackage[] {
  const seen = new Set<string>();
  const offers: CatalogPackage[] = [];
  for (const pkg of packages) {
    const key = offerKey(pkg);
    if (!seen.has(key)) {
      seen.add(key);
      offers.push(pkg);
    }
  }
  return offers;
}

function offerKey(pkg: CatalogPackage): string {
  return JSON.stringify([
    pkg.provider,
    pkg.name,
    [...(pkg.countries ?? [])].sort(),
    pkg.unlimited ? null : pkg.data_mb,
    pkg.unlimited,
    pkg.daily === true,
    pkg.validity_days,
    pkg.price.amount,
    pkg.price.currency,
  ]);
}

/** Says how many countries a multi-country package covers, or "" for one country. */
export function coverageText(pkg: Pick<CatalogPackage, "countries">): string {
  const count = pkg.countries?.length ?? 0;
  return count > 1 ? `Covers ${count} countries` : "";
}
