package providers

// provider is one supported provider: its slug, display name and the secret
// credential fields it takes.
type provider struct {
	slug        string
	name        string
	credentials []string
}

// supported lists the providers esimScan connects to, in display order.
var supported = []provider{
	{slug: "airalo", name: "Airalo", credentials: []string{"client_id", "client_secret"}},
	{slug: "esim-access", name: "eSIM Access", credentials: []string{"access_code", "secret_key"}},
	{slug: "maya", name: "Maya Mobile", credentials: []string{"api_key", "api_secret"}},
	{slug: "esim-go", name: "eSIM Go", credentials: []string{"api_key"}},
}

func lookup(slug string) (provider, bool) {
	for _, p := range supported {
		if p.slug == slug {
			return p, true
		}
	}
	return provider{}, false
}
