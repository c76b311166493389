import { describe, expect, it } from "vitest";
import { causeText } from "./providers";

describe("causeText", () => {
  it("names a business refusal apart from a provider error", () => {
    expect(causeText("rejected")).toBe("Refused by the provider");
    expect(causeText("server_error")).toBe("Provider error");
  });

  it("falls back for a cause it does not know", () => {
    expect(causeText("something_new")).toBe("Failed");
    expect(causeText(undefined)).toBe("Failed");
  });
});
