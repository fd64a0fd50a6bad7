package server

import (
	"strings"
	"testing"
	"time"
)

func TestSignedTokensResistTamperingAndConfusion(t *testing.T) {
	a, b := newSigner([]byte(strings.Repeat("a", 32))), newSigner([]byte(strings.Repeat("b", 32)))
	ss := newSignedSessions(a)
	id := ss.ResolveSessionIdManager(nil).Generate()
	if _, ok := ss.check(id); !ok {
		t.Fatal("a fresh session ID does not verify")
	}
	var c sessionClaims
	for name, tok := range map[string]string{
		"other secret":      newSignedSessions(b).ResolveSessionIdManager(nil).Generate(),
		"payload changed":   strings.Replace(id, id[3:8], "AAAAA", 1),
		"signature dropped": id[:strings.LastIndexByte(id, '.')],
		"empty":             "",
		"confirmation":      a.sign(confirmKind, confirmClaims{Identity: "alice", Expires: time.Now().Add(time.Hour).Unix()}),
	} {
		if a.verify(sessionKind, tok, &c) {
			t.Errorf("%s: accepted as a session ID", name)
		}
	}
	// Expired, and ended here.
	ss.now = func() time.Time { return time.Now().Add(sessionLifetime + time.Minute) }
	if _, ok := ss.check(id); ok {
		t.Error("an expired session ID was accepted")
	}
	ss.now = time.Now
	ss.end(id)
	if _, ok := ss.check(id); ok {
		t.Error("a session this replica closed was accepted again")
	}

	// Confirmation states: bound to caller, tool and arguments; single use here.
	conf := newConfirmer(false)
	conf.sign = a
	p := pendingConfirm{identity: "alice", tool: "tableau_project_delete", args: "d1"}
	st := conf.issue(p)
	for name, want := range map[string]pendingConfirm{
		"other caller":    {identity: "bob", tool: p.tool, args: p.args},
		"other tool":      {identity: "alice", tool: "tableau_workbook_delete", args: p.args},
		"other arguments": {identity: "alice", tool: p.tool, args: "d2"},
	} {
		if conf.take(st, want) {
			t.Errorf("%s: the confirmation was accepted", name)
		}
	}
	other := newConfirmer(false)
	other.sign = a // another replica with the same secret
	if !other.take(st, p) || other.take(st, p) {
		t.Error("another replica should take the state once")
	}
	stranger := newConfirmer(false) // a process with another secret
	if stranger.take(conf.issue(p), p) {
		t.Error("a state signed under another secret was accepted")
	}
}
