package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"github.com/tableau-mcp/tableau-mcp/server"
)

// rawClient speaks JSON-RPC to the server by hand, over stdio or streamable
// HTTP, and sees every message the server sends, so that tests can check
// notifications and the absence of an answer as a client would.
type rawClient struct {
	t      *testing.T
	send   func(msg map[string]any, id int)
	msgs   chan map[string]any
	mu     sync.Mutex
	nextID int
	// seen holds every message read so far.
	seen []map[string]any
}

const rawProtocol = "2025-11-25"

// rawOver serves a server made with opts over transport ("stdio"; "http",
// streamable HTTP, or "sse", on loopback without authentication) and
// initialises a session.
func rawOver(t *testing.T, opts server.Options, transport string) *rawClient {
	t.Helper()
	if opts.Version == "" {
		opts.Version = "test"
	}
	switch transport {
	case "http":
		return rawConnectHTTP(t, serve(t, opts, server.HTTPOptions{NoAuth: true}).URL)
	case "sse":
		return rawConnectSSE(t, serve(t, opts, server.HTTPOptions{Transport: "sse", NoAuth: true}).URL)
	}
	s, err := server.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return rawConnectStdio(t, s)
}

// rawConnectStdio serves s over stdio pipes and initialises a session.
func rawConnectStdio(t *testing.T, s *mcpserver.MCPServer) *rawClient {
	t.Helper()
	c := &rawClient{t: t, msgs: make(chan map[string]any, 1024), nextID: 100}
	{
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			server.ServeStdio(ctx, s, inR, outW, "", zap.NewNop())
			outW.Close()
		}()
		t.Cleanup(func() { cancel(); inW.Close(); <-done })
		go func() {
			sc := bufio.NewScanner(outR)
			sc.Buffer(nil, 64<<20)
			for sc.Scan() {
				var m map[string]any
				if json.Unmarshal(sc.Bytes(), &m) == nil {
					c.msgs <- m
				}
			}
		}()
		var wmu sync.Mutex
		c.send = func(msg map[string]any, _ int) {
			b, _ := json.Marshal(msg)
			wmu.Lock()
			defer wmu.Unlock()
			inW.Write(append(b, '\n'))
		}
	}
	c.initialize()
	return c
}

// rawConnectHTTP initialises a session with the streamable HTTP server at url.
func rawConnectHTTP(t *testing.T, url string) *rawClient {
	t.Helper()
	c := &rawClient{t: t, msgs: make(chan map[string]any, 1024), nextID: 100}
	var session string
	var smu sync.Mutex
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	c.send = func(msg map[string]any, id int) {
		b, _ := json.Marshal(msg)
		req, _ := http.NewRequest(http.MethodPost, url+"/mcp", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		req.Header.Set("Mcp-Protocol-Version", rawProtocol)
		smu.Lock()
		first := session == ""
		if !first {
			req.Header.Set("Mcp-Session-Id", session)
		}
		smu.Unlock()
		// Answers come when they are ready: only the first request (the
		// one that opens the session) is waited for here.
		wg.Add(1)
		do := func() {
			defer wg.Done()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Errorf("POST: %v", err)
				return
			}
			if sid := resp.Header.Get("Mcp-Session-Id"); sid != "" {
				smu.Lock()
				session = sid
				smu.Unlock()
			}
			c.read(resp, id)
		}
		if first {
			do()
		} else {
			go do()
		}
	}
	c.initialize()
	return c
}

// read passes on the messages of a streamable HTTP answer, then a
// {"_closed": id} marker.
func (c *rawClient) read(resp *http.Response, id int) {
	t := c.t
	defer resp.Body.Close()
	defer func() { c.msgs <- map[string]any{"_closed": float64(id)} }()
	if resp.StatusCode/100 != 2 {
		body, _ := io.ReadAll(resp.Body)
		t.Errorf("POST answered %d: %s", resp.StatusCode, body)
		return
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 64<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data:"); ok {
				var m map[string]any
				if json.Unmarshal([]byte(strings.TrimSpace(data)), &m) == nil {
					c.msgs <- m
				}
			}
		}
		return
	}
	body, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		c.msgs <- m
	}
}

func (c *rawClient) initialize() {
	c.t.Helper()
	res := c.result(c.call("initialize", map[string]any{
		"protocolVersion": rawProtocol, "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "raw", "version": "1"},
	}))
	if res == nil {
		c.t.Fatal("initialize failed")
	}
	c.notify("notifications/initialized", nil)
}

// call sends a request and returns its id.
func (c *rawClient) call(method string, params map[string]any) int {
	c.mu.Lock()
	c.nextID++
	id := c.nextID
	c.mu.Unlock()
	msg := map[string]any{"jsonrpc": "2.0", "id": id, "method": method}
	if params != nil {
		msg["params"] = params
	}
	c.send(msg, id)
	return id
}

func (c *rawClient) notify(method string, params map[string]any) {
	msg := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		msg["params"] = params
	}
	c.send(msg, 0)
}

// until reads messages until one satisfies stop, and returns it.
func (c *rawClient) until(what string, stop func(map[string]any) bool) map[string]any {
	c.t.Helper()
	c.mu.Lock()
	for _, m := range c.seen {
		if stop(m) {
			c.mu.Unlock()
			return m
		}
	}
	c.mu.Unlock()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m := <-c.msgs:
			c.mu.Lock()
			c.seen = append(c.seen, m)
			c.mu.Unlock()
			if stop(m) {
				return m
			}
		case <-timeout:
			c.t.Fatalf("no %s from the server", what)
			return nil
		}
	}
}

func isAnswer(m map[string]any, id int) bool {
	v, ok := m["id"].(float64)
	_, hasMethod := m["method"]
	return ok && int(v) == id && !hasMethod
}

// answer waits for the answer to request id.
func (c *rawClient) answer(id int) map[string]any {
	c.t.Helper()
	return c.until(fmt.Sprintf("answer to request %d", id), func(m map[string]any) bool { return isAnswer(m, id) })
}

// result waits for the answer to id and fails the test on an error answer.
func (c *rawClient) result(id int) map[string]any {
	c.t.Helper()
	m := c.answer(id)
	if e, ok := m["error"]; ok {
		c.t.Fatalf("request %d failed: %v", id, e)
	}
	r, _ := m["result"].(map[string]any)
	return r
}

// notifications returns the messages of method seen so far.
func (c *rawClient) notifications(method string) []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []map[string]any
	for _, m := range c.seen {
		if m["method"] == method {
			out = append(out, m)
		}
	}
	return out
}

// answered reports whether an answer to id was seen.
func (c *rawClient) answered(id int) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.seen {
		if isAnswer(m, id) {
			return true
		}
	}
	return false
}

// rawConnectSSE opens the SSE stream of the server at url, posts messages
// to the endpoint it names, and initialises a session.
func rawConnectSSE(t *testing.T, url string) *rawClient {
	t.Helper()
	c := &rawClient{t: t, msgs: make(chan map[string]any, 1024), nextID: 100}
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/sse", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	endpoint := make(chan string, 1)
	go func() {
		defer close(done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 64<<20)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			if e, ok := strings.CutPrefix(line, "event:"); ok {
				event = strings.TrimSpace(e)
				continue
			}
			data, ok := strings.CutPrefix(line, "data:")
			if !ok {
				continue
			}
			data = strings.TrimSpace(data)
			if event == "endpoint" {
				endpoint <- data
				continue
			}
			var m map[string]any
			if json.Unmarshal([]byte(data), &m) == nil {
				c.msgs <- m
			}
		}
	}()
	var post string
	select {
	case post = <-endpoint:
	case <-time.After(30 * time.Second):
		t.Fatal("no endpoint event on the SSE stream")
	}
	c.send = func(msg map[string]any, _ int) {
		b, _ := json.Marshal(msg)
		resp, err := http.Post(url+post, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Errorf("POST: %v", err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Errorf("POST answered %d", resp.StatusCode)
		}
	}
	c.initialize()
	return c
}
