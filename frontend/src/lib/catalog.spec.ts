import { describe, expect, it } from "vitest";
import type { CatalogPackage } from "../api/types";
import { coverageText, distinctOffers } from "./catalog";

function offer(id: string, overrides: Partial<CatalogPackage> = {}): CatalogPackage {
  return {
    id,
    provider: "esim-access",
    name: "Global 10GB 7Days",
    countries: ["AU", "JP"],
    data_mb: 10240,
    unlimited: false,
    daily: false,
    validity_days: 7,
    price: { amount: "14.69", currency: "USD" },
    ...overrides,
  };
}

describe("distinctOffers", () => {
  it("drops duplicates, keeping the first", () => {
    const list = [offer("a"), offer("b", { countries: ["JP", "AU"] }), offer("c", { validity_days: 15 })];

    expect(distinctOffers(list).map((p) => p.id)).toEqual(["a", "c"]);
  });

  it("keeps offers that differ", () => {
    const list = [
      offer("a"),
      offer("b", { price: { amount: "14.70", currency: "USD" } }),
      offer("c", { data_mb: 20480 }),
      offer("d", { name: "Global 10GB 7Days Plus" }),
      offer("e", { daily: true }),
    ];

    expect(distinctOffers(list)).toHaveLength(5);
  });
});

describe("coverageText", () => {
  it("counts countries of multi-country packages", () => {
    expect(coverageText({ countries: ["AU", "JP", "US"] })).toBe("Covers 3 countries");
  });

  it("is empty for one country", () => {
    expect(coverageText({ countries: ["AU"] })).toBe("");
  });
});
