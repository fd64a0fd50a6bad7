package server_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/tableau-mcp/tableau-mcp/auth"
	"github.com/tableau-mcp/tableau-mcp/backend"
	"github.com/tableau-mcp/tableau-mcp/demo"
	tableauemu "github.com/tableau-mcp/tableau-mcp/emulator/tableau"
	. "github.com/tableau-mcp/tableau-mcp/internal/mcptest"
	"github.com/tableau-mcp/tableau-mcp/server"
	"github.com/tableau-mcp/tableau-mcp/tableau"
	"github.com/tableau-mcp/tableau-mcp/tools"
)

const sharedSecret = "replica-session-secret-0123456789abcdef"

// roundRobin sends each HTTP request to the next replica in turn, with no
// affinity of any kind, as a plain load balancer would.
type roundRobin struct {
	hosts []string
	next  atomic.Int64
	hits  []atomic.Int64
}

func (rr *roundRobin) RoundTrip(req *http.Request) (*http.Response, error) {
	i := int(rr.next.Add(1)-1) % len(rr.hosts)
	rr.hits[i].Add(1)
	out := req.Clone(req.Context())
	out.URL.Host = rr.hosts[i]
	out.Host = rr.hosts[i]
	return http.DefaultTransport.RoundTrip(out)
}

// cluster starts n replicas sharing the session secret, each with the
// backend back(i), behind one round-robin balancer.
func cluster(t *testing.T, n int, back func(i int) backend.Backend, authn auth.Authenticator, tune func(*server.Options)) *roundRobin {
	t.Helper()
	rr := &roundRobin{hits: make([]atomic.Int64, n)}
	var lns []net.Listener
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		rr.hosts = append(rr.hosts, ln.Addr().String())
	}
	for i, ln := range lns {
		opts := server.Options{Version: "test", Backend: back(i), SessionSecret: []byte(sharedSecret)}
		if tune != nil {
			tune(&opts)
		}
		s, err := server.New(opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			done <- server.ServeListener(ctx, s, ln, server.HTTPOptions{Transport: "http", Auth: authn,
				SessionSecret: []byte(sharedSecret), Peers: rr.hosts})
		}()
		t.Cleanup(func() { cancel(); <-done })
	}
	return rr
}

// connectVia opens a session through the balancer.
func connectVia(t *testing.T, rr *roundRobin, token string, opts ...client.ClientOption) *Session {
	t.Helper()
	tr, err := transport.NewStreamableHTTP("http://"+rr.hosts[0]+"/mcp", transport.WithHTTPHeaders(bearer(token)),
		transport.WithHTTPBasicClient(&http.Client{Transport: rr}))
	if err != nil {
		t.Fatal(err)
	}
	s, err := startSession(t, client.NewClient(tr, opts...))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// demoBackends gives each replica its own PAT on one emulated site (one PAT
// shared by replicas would have them sign each other out).
func demoBackends(t *testing.T) (func(int) backend.Backend, *tableauemu.Emulator) {
	emu, _ := demo.NewSite(tableauemu.Config{})
	admin := emu.DefaultPAT().UserID
	return func(i int) backend.Backend {
		pat := tableauemu.PAT{Name: fmt.Sprintf("replica-%d", i), Secret: fmt.Sprintf("replica-secret-%d", i), SiteContentURL: "demo", UserID: admin}
		emu.AddPAT(pat)
		b, err := tableau.New(tableau.Config{ServerURL: demo.BaseURL, Site: "demo", PATName: pat.Name, PATSecret: pat.Secret,
			HTTPClient: &http.Client{Transport: demo.HandlerTransport{Handler: emu}}})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}, emu
}

// TestLegacySessionsMoveBetweenReplicas: a client of the 2025-11-25 protocol
// (initialize, then Mcp-Session-Id on every request) is served by whichever
// replica each request reaches.
func TestLegacySessionsMoveBetweenReplicas(t *testing.T) {
	back, _ := demoBackends(t)
	rr := cluster(t, 3, back, tokenAuth(t), func(o *server.Options) { o.AllowDestructive = true })
	s := connectVia(t, rr, aliceToken, client.WithProtocolVersion("2025-11-25"))
	if s.C.GetSessionId() == "" {
		t.Fatal("a legacy session has no Mcp-Session-Id")
	}
	for i := 0; i < 6; i++ {
		s.OK("tableau_workbooks_list", map[string]any{"page_size": 1})
	}
	for i := range rr.hits {
		if rr.hits[i].Load() < 2 {
			t.Errorf("replica %d served %d requests; the balancer should spread them", i, rr.hits[i].Load())
		}
	}
	// This client cannot be asked; the operator allowed destructive tools.
	// A replica that never saw initialize reads that from the signed session
	// ID and runs the tool (it neither refuses nor asks).
	p := s.OK("tableau_project_create", map[string]any{"name": "replica-delete-me"})
	s.OK("tableau_project_delete", map[string]any{"project_id": Str(p, "project", "id")})
}

// TestLegacyConfirmationAnsweredOnAnotherReplica: a client of the
// 2025-11-25 protocol is asked through elicitation/create on the stream of
// its call, and posts its answer separately; the balancer sends that answer
// to another replica, which passes it on to the one that asked.
func TestLegacyConfirmationAnsweredOnAnotherReplica(t *testing.T) {
	back, emu := demoBackends(t)
	rr := cluster(t, 3, back, tokenAuth(t), nil)
	yes := &answer{action: mcp.ElicitationResponseActionAccept, ok: true}
	s := connectVia(t, rr, aliceToken, client.WithProtocolVersion("2025-11-25"), client.WithElicitationHandler(yes))
	for i := 0; i < 3; i++ { // the call lands on each replica in turn
		p := s.OK("tableau_project_create", map[string]any{"name": fmt.Sprintf("legacy-confirm-%d", i)})
		s.OK("tableau_project_delete", map[string]any{"project_id": Str(p, "project", "id")})
	}
	if len(yes.asked) != 3 {
		t.Errorf("asked %d times, want 3", len(yes.asked))
	}
	if n := emu.Stats().ByRoute["DELETE /api/{v}/sites/{site}/projects/{id}"]; n != 3 {
		t.Errorf("%d projects deleted, want 3", n)
	}
	no := &answer{action: mcp.ElicitationResponseActionDecline}
	s2 := connectVia(t, rr, aliceToken, client.WithProtocolVersion("2025-11-25"), client.WithElicitationHandler(no))
	p := s2.OK("tableau_project_create", map[string]any{"name": "legacy-kept"})
	s2.Fail("tableau_project_delete", map[string]any{"project_id": Str(p, "project", "id")}, "cancelled by the user")
}

// TestForeignAndUnsignedSessionsAreRefused: another caller's session is
// refused on every replica (403), an unsigned or otherwise-signed one too (404).
func TestForeignAndUnsignedSessionsAreRefused(t *testing.T) {
	back, _ := demoBackends(t)
	rr := cluster(t, 3, back, tokenAuth(t), nil)
	s := connectVia(t, rr, aliceToken, client.WithProtocolVersion("2025-11-25"))
	sid := s.C.GetSessionId()

	other := serve(t, server.Options{Backend: back(0)}, server.HTTPOptions{Auth: tokenAuth(t), SessionSecret: []byte("another-deployment-secret-0123456789")})
	os := connectTo(t, other.URL, aliceToken)
	otherSID := os.C.GetSessionId()
	forged := sid[:len(sid)-4] + "AAAA"

	list := `{"jsonrpc":"2.0","id":7,"method":"tools/list"}`
	for i, host := range rr.hosts {
		for name, tc := range map[string]struct {
			token, sid string
			want       int
		}{
			"own session":          {aliceToken, sid, 200},
			"another caller's":     {bobToken, sid, 403},
			"unsigned":             {aliceToken, "3f2a9c1e-unsigned", 404},
			"forged signature":     {aliceToken, forged, 404},
			"another deployment's": {aliceToken, otherSID, 404},
		} {
			resp := post(t, "http://"+host+"/mcp", list, map[string]string{"Authorization": "Bearer " + tc.token,
				"Mcp-Session-Id": tc.sid, "Mcp-Protocol-Version": "2025-11-25", "Accept": "application/json, text/event-stream"})
			if resp.StatusCode != tc.want {
				t.Errorf("replica %d, %s: status %d, want %d", i, name, resp.StatusCode, tc.want)
			}
		}
	}
}

func connectTo(t *testing.T, url, token string) *Session {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(url+"/mcp", transport.WithHTTPHeaders(bearer(token)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := startSession(t, client.NewClient(tr, client.WithProtocolVersion("2025-11-25")))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestConfirmationAskedOnOneReplicaAnsweredOnAnother: with the 2026-07-28
// protocol the question comes back as an input-required result carrying a
// signed state, and the answer, sent with the retried call, reaches the next
// replica, which checks the state and runs the tool.
func TestConfirmationAskedOnOneReplicaAnsweredOnAnother(t *testing.T) {
	back, emu := demoBackends(t)
	rr := cluster(t, 3, back, tokenAuth(t), nil)
	yes := &answer{action: mcp.ElicitationResponseActionAccept, ok: true}
	s := connectVia(t, rr, aliceToken, client.WithElicitationHandler(yes))
	if s.C.GetSessionId() != "" {
		t.Fatal("the client did not speak the sessionless 2026-07-28 protocol")
	}
	p := s.OK("tableau_project_create", map[string]any{"name": "confirm-across-replicas"})
	id := Str(p, "project", "id")
	before := make([]int64, len(rr.hits))
	for i := range rr.hits {
		before[i] = rr.hits[i].Load()
	}
	s.OK("tableau_project_delete", map[string]any{"project_id": id})
	var served []int
	for i := range rr.hits {
		if rr.hits[i].Load() > before[i] {
			served = append(served, i)
		}
	}
	if len(yes.asked) != 1 || len(served) < 2 {
		t.Fatalf("asked %d times, replicas involved %v; want one question answered on another replica", len(yes.asked), served)
	}
	if st := emu.Stats(); st.ByRoute["DELETE /api/{v}/sites/{site}/projects/{id}"] != 1 {
		t.Errorf("the project was deleted %d times, want once", st.ByRoute["DELETE /api/{v}/sites/{site}/projects/{id}"])
	}
	// Declined on the other replica: nothing runs.
	no := &answer{action: mcp.ElicitationResponseActionDecline}
	s2 := connectVia(t, rr, aliceToken, client.WithElicitationHandler(no))
	p = s2.OK("tableau_project_create", map[string]any{"name": "kept-across-replicas"})
	s2.Fail("tableau_project_delete", map[string]any{"project_id": Str(p, "project", "id")}, "cancelled by the user")
}

// TestDirectTrustAcrossReplicas: three replicas signing in with the connected
// app as each caller, many calls from three callers at once: none fails, and
// each replica signs each user in at most once.
func TestDirectTrustAcrossReplicas(t *testing.T) {
	emu, _ := demo.NewSite(tableauemu.Config{})
	users := []string{"admin@example.com", "vic.viewer@example.com", "li.marketing@example.com"}
	var lines []string
	for i, u := range users {
		lines = append(lines, fmt.Sprintf("%s token-%d-0123456789abcdef", u, i))
	}
	p := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o600)
	f, err := auth.LoadTokenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := tools.Select(tools.All(), tools.Selection{Toolsets: []string{"workbooks", "views", "projects"}, ReadOnly: true})
	var clients []interface{ SignIns() int }
	rr := cluster(t, 3, func(int) backend.Backend {
		c := directTrustClient(t, emu, "{identity}", served)
		clients = append(clients, c)
		return c
	}, &auth.Bearer{Tokens: f}, func(o *server.Options) { o.Tools = served })

	const perUser = 100
	var wg sync.WaitGroup
	var failures atomic.Int64
	for i := range users {
		s := connectVia(t, rr, fmt.Sprintf("token-%d-0123456789abcdef", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < perUser; k++ {
				name := []string{"tableau_workbooks_list", "tableau_views_list", "tableau_projects_list"}[k%3]
				res, err := s.C.CallTool(t.Context(), mcp.CallToolRequest{Params: mcp.CallToolParams{Name: name, Arguments: map[string]any{"page_size": 2}}})
				if err != nil || res.IsError {
					failures.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if n := failures.Load(); n != 0 {
		t.Errorf("%d of %d calls failed", n, perUser*len(users))
	}
	st := emu.Stats()
	for _, u := range users {
		if n := st.SignInsByUser[u]; n < 1 || n > 3 {
			t.Errorf("%s signed in %d times over 3 replicas; want 1 to 3", u, n)
		}
	}
	for i, c := range clients {
		if n := c.SignIns(); n > len(users) {
			t.Errorf("replica %d signed in %d times for %d users", i, n, len(users))
		}
		if rr.hits[i].Load() < perUser/2 {
			t.Errorf("replica %d served %d requests; the balancer should spread them", i, rr.hits[i].Load())
		}
	}
}
