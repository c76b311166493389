package esimaccess_test

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	sim "esimscan/backend/internal/simulators/esimaccess"
)

// issueESIM orders one eSIM of packageCode and returns its ICCID once
// allocated.
func issueESIM(t *testing.T, f simFixture, packageCode string) string {
	t.Helper()
	placed := f.call(t, sim.PathOrder, `{"transactionId":"`+uuid.NewString()+`","packageInfoList":[{"packageCode":"`+packageCode+`","count":1}]}`)
	require.True(t, placed.Success)
	var order struct {
		OrderNo string `json:"orderNo"`
	}
	require.NoError(t, json.Unmarshal(placed.Obj, &order))
	ready := f.call(t, sim.PathQuery, `{"orderNo":"`+order.OrderNo+`","pager":{"pageNum":1,"pageSize":20}}`)
	require.True(t, ready.Success)
	var obj struct {
		ESIMList []struct {
			ICCID string `json:"iccid"`
		} `json:"esimList"`
	}
	require.NoError(t, json.Unmarshal(ready.Obj, &obj))
	require.Len(t, obj.ESIMList, 1)
	return obj.ESIMList[0].ICCID
}

func TestServer_topUpListPerICCID(t *testing.T) {
	f := start(t, sim.Options{AllocationPolls: -1})
	iccid := issueESIM(t, f, "P8KQ2JD41")

	listed := f.call(t, sim.PathPackageList, `{"type":"TOPUP","iccid":"`+iccid+`"}`)
	require.True(t, listed.Success)
	var obj struct {
		PackageList []struct {
			PackageCode string `json:"packageCode"`
			Price       int64  `json:"price"`
		} `json:"packageList"`
	}
	require.NoError(t, json.Unmarshal(listed.Obj, &obj))
	require.Len(t, obj.PackageList, 1)
	require.Equal(t, "TOPUP_P8KQ2JD41", obj.PackageList[0].PackageCode)
	require.Positive(t, obj.PackageList[0].Price)

	require.Equal(t, "310211", f.call(t, sim.PathPackageList, `{"type":"TOPUP","iccid":"8999000000000000000"}`).code())
	base := f.call(t, sim.PathPackageList, `{"type":"BASE","iccid":""}`)
	require.NotContains(t, string(base.Obj), "TOPUP_", "a base list holds no top-up")
}

func TestServer_topUpIsIdempotentByTransactionID(t *testing.T) {
	f := start(t, sim.Options{AllocationPolls: -1})
	iccid := issueESIM(t, f, "P8KQ2JD41")
	before := f.Balance()
	body := `{"iccid":"` + iccid + `","packageCode":"TOPUP_P8KQ2JD41","transactionId":"top-1"}`

	first := f.call(t, sim.PathTopUp, body)
	second := f.call(t, sim.PathTopUp, body)

	require.True(t, first.Success, string(first.Obj))
	require.JSONEq(t, string(first.Obj), string(second.Obj))
	topUps := f.TopUps()
	require.Len(t, topUps, 1)
	require.Equal(t, iccid, topUps[0].ICCID)
	require.Equal(t, before-topUps[0].Amount, f.Balance(), "charged once")
}

func TestServer_topUpChecks(t *testing.T) {
	f := start(t, sim.Options{AllocationPolls: -1})
	iccid := issueESIM(t, f, "P8KQ2JD41")
	cases := []struct {
		name, body, code string
	}{
		{"no transaction id", `{"iccid":"` + iccid + `","packageCode":"TOPUP_P8KQ2JD41"}`, "000105"},
		{"no eSIM", `{"packageCode":"TOPUP_P8KQ2JD41","transactionId":"a"}`, "000105"},
		{"unknown eSIM", `{"iccid":"8999000000000000000","packageCode":"TOPUP_P8KQ2JD41","transactionId":"b"}`, "310211"},
		{"other eSIM's top-up", `{"iccid":"` + iccid + `","packageCode":"TOPUP_P8KQ2JD55","transactionId":"c"}`, "310241"},
		{"wrong amount", `{"iccid":"` + iccid + `","packageCode":"TOPUP_P8KQ2JD41","transactionId":"d","amount":1}`, "200006"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.code, f.call(t, sim.PathTopUp, tc.body).code())
		})
	}
	require.Empty(t, f.TopUps())
}
