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
	// An answer of a list page (about 4 KB for 12 workbooks, tens of KB
	// for 100 items) is read in one system call instead of one per 4 KB,
	// the default; each open connection holds this much.
	t.ReadBufferSize = 16 << 10
	return &http.Client{Transport: t}
}
