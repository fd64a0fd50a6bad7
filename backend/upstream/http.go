package upstream

import "net/http"

// DefaultHTTPClient is an HTTP client with connection reuse, suited to REST
// calls and long downloads alike. It has no overall timeout: each call's
// context bounds it (see Policy.Timeout).
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// As many idle connections as calls run at once against one site: with
	// fewer, a burst of concurrent calls closes the surplus connections and
	// dials new ones for the next burst.
	t.MaxIdleConnsPerHost = 100
	return &http.Client{Transport: t}
}
