import { render, screen } from "@testing-library/vue";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { apiError, stubFetch } from "../test/fetch-stub";
import EsimUsage from "./EsimUsage.vue";

const ICCID = "8999000000000000001";
const USAGE_PATH = `/api/orders/o1/esims/${ICCID}/usage`;

function renderUsage(token: string | null = "tok-1") {
  return render(EsimUsage, { props: { orderId: "o1", iccid: ICCID, token } });
}

describe("EsimUsage", () => {
  it("loads the data use only when asked, with the order token", async () => {
    const { requests } = stubFetch({
      [`GET ${USAGE_PATH}`]: {
        body: {
          iccid: ICCID, total_mb: 3072, used_mb: 700, remaining_mb: 2372, status: "active",
          as_of: "2026-12-04T10:00:00Z", expires_at: "2026-12-31T00:00:00Z",
        },
      },
    });
    const user = userEvent.setup();
    renderUsage();
    expect(requests).toHaveLength(0);

    await user.click(screen.getByRole("button", { name: "Check data use" }));

    await screen.findByText(/700 MB used of 3(\.0)? GB, 2(\.\d)? GB left/);
    expect(screen.getByText(/In use/)).toBeTruthy();
    expect(screen.getByText(/As of/)).toBeTruthy();
    expect(requests[0].headers["X-Order-Token"]).toBe("tok-1");
    expect(screen.getByRole("button", { name: "Check again" })).toBeTruthy();
  });

  it("says quietly when the provider reports no data use", async () => {
    stubFetch({ [`GET ${USAGE_PATH}`]: apiError(409, "usage_not_supported", "the provider reports no usage") });
    const user = userEvent.setup();
    renderUsage();

    await user.click(screen.getByRole("button", { name: "Check data use" }));

    await screen.findByText("This eSIM's provider does not report data use.");
    expect(screen.queryByRole("button")).toBeNull();
  });

  it("asks to try later when the provider did not answer", async () => {
    stubFetch({ [`GET ${USAGE_PATH}`]: apiError(503, "usage_unavailable", "usage unavailable") });
    const user = userEvent.setup();
    renderUsage(null);

    await user.click(screen.getByRole("button", { name: "Check data use" }));

    await screen.findByText(/Try again in a few minutes/);
  });
});
