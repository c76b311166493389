import { beforeEach, describe, expect, it } from "vitest";
import { loadOrderToken, orderLinkHash, saveOrderToken, tokenFromHash } from "./order-token";

beforeEach(() => {
  localStorage.clear();
});

describe("order tokens", () => {
  it("are stored per order id", () => {
    saveOrderToken("order-a", "token-a");
    saveOrderToken("order-b", "token-b");

    expect(loadOrderToken("order-a")).toBe("token-a");
    expect(loadOrderToken("order-b")).toBe("token-b");
    expect(loadOrderToken("order-c")).toBeNull();
  });

  it("round-trip through the link fragment", () => {
    const token = "Ab-_09+/=";

    expect(tokenFromHash(orderLinkHash(token))).toBe(token);
  });

  it("are absent from a fragment without one", () => {
    expect(tokenFromHash("")).toBeNull();
    expect(tokenFromHash("#other=1")).toBeNull();
    expect(tokenFromHash("#token=")).toBeNull();
  });
});
