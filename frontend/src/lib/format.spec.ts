import { describe, expect, it } from "vitest";
import { formatData, formatMoney, formatPackageSummary, formatValidity } from "./format";

describe("formatMoney", () => {
  it("keeps the cents the server sent", () => {
    expect(formatMoney({ amount: "12.50", currency: "USD" })).toBe("$12.50");
  });

  it("shows a zero-decimal currency without decimals", () => {
    expect(formatMoney({ amount: "1200", currency: "JPY" })).toBe("¥1,200");
  });

  it("keeps three decimals of a three-decimal currency", () => {
    expect(formatMoney({ amount: "4.125", currency: "KWD" })).toMatch(/4\.125/);
  });

  it("formats amounts beyond float precision exactly", () => {
    expect(formatMoney({ amount: "90071992547409.93", currency: "USD" })).toBe("$90,071,992,547,409.93");
  });

  it("falls back to amount and code for an unknown currency", () => {
    expect(formatMoney({ amount: "3.00", currency: "NOPE1" })).toBe("3.00 NOPE1");
  });
});

describe("formatData", () => {
  it.each([
    [{ data_mb: 3072, unlimited: false }, "3 GB"],
    [{ data_mb: 3000, unlimited: false }, "3 GB"],
    [{ data_mb: 500, unlimited: false }, "500 MB"],
    [{ data_mb: 1536, unlimited: false }, "1.5 GB"],
    [{ data_mb: null, unlimited: true }, "Unlimited"],
    [{ data_mb: 1024, unlimited: false, daily: true }, "1 GB per day"],
  ])("formats %o as %s", (pkg, text) => {
    expect(formatData(pkg)).toBe(text);
  });
});

describe("formatValidity", () => {
  it("uses the singular for one day", () => {
    expect(formatValidity(1)).toBe("1 day");
    expect(formatValidity(30)).toBe("30 days");
  });
});

describe("formatPackageSummary", () => {
  it("names the data once when the package name has it", () => {
    expect(formatPackageSummary({ id: "p", name: "France 5 GB", data_mb: 5120, unlimited: false, validity_days: 30 })).toBe(
      "France 5 GB · 30 days",
    );
  });

  it("finds data written without a space", () => {
    // The server's order package has no "daily" field, so "1 GB" alone would understate a daily plan.
    const pkg = { id: "p", name: "Australia 1GB/Day", data_mb: 1024, unlimited: false, validity_days: 1 };
    expect(formatPackageSummary(pkg)).toBe("Australia 1GB/Day · 1 day");
  });

  it("adds data missing from the name", () => {
    expect(formatPackageSummary({ id: "p", name: "Japan Lite", data_mb: 3072, unlimited: false, validity_days: 7 })).toBe(
      "Japan Lite · 3 GB · 7 days",
    );
  });
});
