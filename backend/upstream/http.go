package upstream

import "net/http"

// DefaultHTTPClient is an HTTP client with connection reuse, suited to REST
// calls and long downloads alike. It has no overall timeout: each call's
// context bounds it (see Policy.Timeout).
func DefaultHTTPClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return &http.Client{Transport: t}
}
