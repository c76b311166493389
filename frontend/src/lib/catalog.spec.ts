import { describe, expect, it } from "vitest";
import type { AdminPackage } from "../api/types";
import { coverageText, matchesPackageFilter, operatorsText, pageCount, pageOf } from "./catalog";

function adminPackage(overrides: Partial<AdminPackage> = {}): AdminPackage {
  return {
    id: "pkg1",
    provider: "esim-access",
    provider_package_id: "JP-1GB-7D",
    name: "Japan 1 GB",
    countries: ["JP"],
    data_mb: 1024,
    unlimited: false,
    validity_days: 7,
    price: { amount: "3.84", currency: "USD" },
    wholesale: { amount: "3.20", currency: "USD" },
    margin_percent: 20,
    margin_override: null,
    enabled: true,
    ...overrides,
  };
}

describe("coverageText", () => {
  it("counts one or many countries", () => {
    expect(coverageText({ countries: ["JP"] })).toBe("1 country");
    expect(coverageText({ countries: ["AU", "JP", "NZ"] })).toBe("Covers 3 countries");
  });

  it("is empty without countries", () => {
    expect(coverageText({ countries: [] })).toBe("");
  });
});

describe("operatorsText", () => {
  it("joins the operators", () => {
    expect(operatorsText({ operators: ["Docomo", "SoftBank"] })).toBe("Docomo, SoftBank");
  });

  it("is empty when the API sends none", () => {
    expect(operatorsText({})).toBe("");
    expect(operatorsText({ operators: [" "] })).toBe("");
  });
});

describe("matchesPackageFilter", () => {
  const pkg = adminPackage();

  it("matches every word ignoring case", () => {
    expect(matchesPackageFilter(pkg, "")).toBe(true);
    expect(matchesPackageFilter(pkg, "japan")).toBe(true);
    expect(matchesPackageFilter(pkg, "jp-1gb")).toBe(true);
    expect(matchesPackageFilter(pkg, "Japan 7d")).toBe(true);
  });

  it("rejects a missing word", () => {
    expect(matchesPackageFilter(pkg, "japan france")).toBe(false);
  });
});

describe("pageOf", () => {
  const items = Array.from({ length: 120 }, (_, index) => index);

  it("slices pages of the given size", () => {
    expect(pageOf(items, 1, 50)).toHaveLength(50);
    expect(pageOf(items, 3, 50)).toEqual(items.slice(100));
  });

  it("counts at least one page", () => {
    expect(pageCount(120, 50)).toBe(3);
    expect(pageCount(0, 50)).toBe(1);
  });
});
