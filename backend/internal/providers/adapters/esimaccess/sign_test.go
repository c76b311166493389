package esimaccess

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The vector published with the eSIM Access signature documentation.
func TestSign_publishedVector(t *testing.T) {
	got := sign("1111", "1628670421", "4ce9d9cdac9e4e17b3a2c66c358c1ce2", "11111", []byte(`{"imsi":"326543826"}`))

	want := strings.ToUpper("7eb765e27df5373dea2dbc8c41a7d9557743e46c8054750f3d851b3fd01d0835")
	require.Equal(t, want, got)
}

func TestRegionName_stopsAtFirstNumber(t *testing.T) {
	require.Equal(t, "Europe (20 areas)", regionName("Europe (20 areas) 5GB 30Days", "EU-20"))
	require.Equal(t, "North America", regionName("North America 3GB 7Days", "NA-3"))
	require.Equal(t, "GL-1", regionName("10GB 30Days", "GL-1"))
}
