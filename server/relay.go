package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Clients of protocol versions before 2026-07-28 answer a server's question
// (elicitation/create: the confirmation of a destructive tool) in a request
// of their own, which a load balancer may send to any replica, while the
// call that asked waits in the replica that asked. The relay makes such an
// answer reach that replica: each replica marks the IDs of the requests it
// sends to clients with a random prefix of its own, and a replica receiving
// an answer marked by another passes it on to its peers (HTTPOptions.Peers),
// where only the one whose mark it carries takes it.

// relayShift puts a replica's mark above the transport's own request IDs
// (a counter), keeping marked IDs below 2^53 (exact in JavaScript).
const (
	relayShift  = 32
	relayMarks  = 1 << 20
	relayHeader = "X-Tableau-Mcp-Relayed"
)

type relay struct {
	mark   int64
	peers  []string // host:port; a host naming several addresses reaches each
	client *http.Client
	log    *zap.Logger
}

func newRelay(peers []string, log *zap.Logger) *relay {
	if len(peers) == 0 {
		return nil
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	mark := int64(binary.BigEndian.Uint64(b[:])%(relayMarks-1)) + 1
	return &relay{mark: mark, peers: peers, log: log, client: &http.Client{Timeout: 10 * time.Second}}
}

// relayMessage is a JSON-RPC message whose id may be rewritten.
type relayMessage map[string]json.RawMessage

// outgoing marks the IDs of the server's requests in an SSE chunk (one or
// more "event: message\ndata: {json}\n\n" events). Anything it does not
// understand goes out unchanged.
func (r *relay) outgoing(p []byte) []byte {
	if !bytes.Contains(p, []byte(`"method"`)) {
		return p
	}
	lines := bytes.Split(p, []byte("\n"))
	changed := false
	for i, line := range lines {
		data, ok := bytes.CutPrefix(line, []byte("data: "))
		if !ok {
			continue
		}
		var m relayMessage
		if json.Unmarshal(data, &m) != nil || m["method"] == nil || m["id"] == nil {
			continue
		}
		var id int64
		if json.Unmarshal(m["id"], &id) != nil || id < 0 || id >= 1<<relayShift {
			continue
		}
		m["id"] = json.RawMessage(strconv.FormatInt(r.mark<<relayShift|id, 10))
		out, err := json.Marshal(m)
		if err != nil {
			continue
		}
		lines[i] = append([]byte("data: "), out...)
		changed = true
	}
	if !changed {
		return p
	}
	return bytes.Join(lines, []byte("\n"))
}

// answerMark reads a client's answer (a JSON-RPC response): whether it is
// one, the replica mark of its id (0: unmarked) and the body with the
// transport's own id restored when the mark is this replica's.
func (r *relay) answerMark(body []byte) (isAnswer bool, mark int64, local []byte) {
	var m relayMessage
	if json.Unmarshal(body, &m) != nil || m["method"] != nil || m["id"] == nil || (m["result"] == nil && m["error"] == nil) {
		return false, 0, body
	}
	var id int64
	if json.Unmarshal(m["id"], &id) != nil || id < 1<<relayShift {
		return true, 0, body
	}
	mark = id >> relayShift
	if mark != r.mark {
		return true, mark, body
	}
	m["id"] = json.RawMessage(strconv.FormatInt(id&(1<<relayShift-1), 10))
	out, err := json.Marshal(m)
	if err != nil {
		return true, mark, body
	}
	return true, mark, out
}

// forward passes an answer to the peers; true when one of them took it.
func (r *relay) forward(ctx context.Context, in *http.Request, body []byte) bool {
	var targets []string
	for _, p := range r.peers {
		host, port, err := net.SplitHostPort(p)
		if err != nil {
			continue
		}
		addrs, err := net.DefaultResolver.LookupHost(ctx, host)
		if err != nil {
			r.log.Warn("peer not resolved", zap.String("peer", p), zap.Error(err))
			continue
		}
		for _, a := range addrs {
			targets = append(targets, net.JoinHostPort(a, port))
		}
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	taken := false
	for _, t := range targets {
		wg.Add(1)
		go func(t string) {
			defer wg.Done()
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+t+"/mcp", bytes.NewReader(body))
			if err != nil {
				return
			}
			for k, v := range in.Header {
				switch k {
				case "Connection", "Content-Length", "Transfer-Encoding", "Host":
				default:
					req.Header[k] = v
				}
			}
			req.Host = in.Host
			req.Header.Set(relayHeader, "1")
			resp, err := r.client.Do(req)
			if err != nil {
				return
			}
			io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				mu.Lock()
				taken = true
				mu.Unlock()
			}
		}(t)
	}
	wg.Wait()
	return taken
}

// relayAnswer takes a client's answer that another replica's question is
// waiting for and passes it on to the peers (202 when one took it, 404 when
// none did); an answer to this replica has its transport ID restored and
// goes on as usual. It reports whether the answer has been written.
func (h *httpHandler) relayAnswer(w http.ResponseWriter, r *http.Request) bool {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, "Reading the request body failed", http.StatusBadRequest)
		return true
	}
	isAnswer, mark, local := h.relay.answerMark(body)
	if !isAnswer || mark == 0 || mark == h.relay.mark {
		r.Body = io.NopCloser(bytes.NewReader(local))
		r.ContentLength = int64(len(local))
		return false
	}
	// The client may stop waiting once the call it answered has finished;
	// passing the answer on must not stop with it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 15*time.Second)
	defer cancel()
	if r.Header.Get(relayHeader) == "" && h.relay.forward(ctx, r, body) {
		w.WriteHeader(http.StatusAccepted)
		return true
	}
	http.Error(w, "Not Found: no replica is waiting for this answer (the question has ended)", http.StatusNotFound)
	return true
}
