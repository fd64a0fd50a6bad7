package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// mcpHTTP is a lean streamable HTTP client: one session, requests posted
// one after the other, answers read whole (JSON or one SSE event).
type mcpHTTP struct {
	hc      *http.Client
	url     string
	session string
	id      int
}

func newHTTPClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost, t.MaxConnsPerHost = conns*2, conns*2, 0
	return &http.Client{Transport: t, Timeout: 60 * time.Second}
}

func (c *mcpHTTP) post(body string) (*http.Response, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewBufferString(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if c.session != "" {
		req.Header.Set("Mcp-Session-Id", c.session)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func (c *mcpHTTP) open() error {
	resp, b, err := c.post(initialize)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("initialize: %s: %s", resp.Status, b)
	}
	c.session = resp.Header.Get("Mcp-Session-Id")
	resp, b, err = c.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("initialized: %s: %s", resp.Status, b)
	}
	return nil
}

// call runs one tools/call; a JSON-RPC error or an error result is an error.
func (c *mcpHTTP) call(tool, args string) error {
	c.id++
	resp, b, err := c.post(fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, c.id, tool, args))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(b, []byte(`"result"`)) || bytes.Contains(b, []byte(`"isError":true`)) {
		if len(b) > 300 {
			b = b[:300]
		}
		return fmt.Errorf("%s %s: %s", tool, resp.Status, b)
	}
	return nil
}

func (c *mcpHTTP) close() {
	req, _ := http.NewRequest(http.MethodDelete, c.url, nil)
	req.Header.Set("Mcp-Session-Id", c.session)
	if resp, err := c.hc.Do(req); err == nil {
		resp.Body.Close()
	}
}

// loadResult is what one load run measured.
type loadResult struct {
	calls    int
	errors   int
	elapsed  time.Duration
	lat      []time.Duration
	cpu      time.Duration // the server's CPU time during the run
	firstErr error
}

func (r loadResult) perSecond() float64 { return float64(r.calls) / r.elapsed.Seconds() }

// cpuPer1000 is the server's CPU time per 1,000 calls.
func (r loadResult) cpuPer1000() time.Duration {
	if r.calls == 0 {
		return 0
	}
	return r.cpu * 1000 / time.Duration(r.calls)
}

// load runs clients sessions calling tool as fast as they are answered for
// d (after each has opened its session), and measures pid's CPU meanwhile.
func load(url string, pid, clients int, d time.Duration, tool, args string) loadResult {
	hc := newHTTPClient(clients)
	defer hc.CloseIdleConnections()
	sessions := make([]*mcpHTTP, clients)
	for i := range sessions {
		sessions[i] = &mcpHTTP{hc: hc, url: url}
		if err := sessions[i].open(); err != nil {
			return loadResult{firstErr: err}
		}
		// One call each before the clock starts: sign-in, connections.
		if err := sessions[i].call(tool, args); err != nil {
			return loadResult{firstErr: err}
		}
	}
	defer func() {
		for _, s := range sessions {
			s.close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var res loadResult
	var wg sync.WaitGroup
	cpu0, start := cpuTime(pid), time.Now()
	for _, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var errs int
			var first error
			for ctx.Err() == nil {
				t := time.Now()
				err := s.call(tool, args)
				if err != nil {
					errs++
					if first == nil {
						first = err
					}
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			res.errors += errs
			if res.firstErr == nil {
				res.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.elapsed, res.cpu = time.Since(start), cpuTime(pid)-cpu0
	res.calls = len(res.lat)
	if res.calls == 0 && res.firstErr == nil {
		res.firstErr = errors.New("no call completed")
	}
	return res
}
