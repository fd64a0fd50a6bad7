package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// childEnv is the environment of every process the benchmark starts: the
// caller's, less any Tableau or Scalekit setting, so that each server runs
// exactly what the benchmark configures.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "TABLEAU_") || strings.HasPrefix(kv, "SCALEKIT_") || strings.HasPrefix(kv, "GODEBUG=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// stdioSession is one server process spoken to over stdin/stdout.
type stdioSession struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	nextID int
}

// startStdio launches bin in dir (an empty directory, so that no .env is read).
func startStdio(bin, dir string, env []string, args ...string) (*stdioSession, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &stdioSession{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<16)}, nil
}

const initialize = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}` + "\n"

// request sends one JSON-RPC request and returns the answer's line.
func (s *stdioSession) request(method string, params any) ([]byte, error) {
	s.nextID++
	id := s.nextID
	p, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":%q,"params":%s}`+"\n", id, method, p)
	if _, err := io.WriteString(s.in, msg); err != nil {
		return nil, err
	}
	return s.answer(id)
}

func (s *stdioSession) notify(method string) error {
	_, err := fmt.Fprintf(s.in, `{"jsonrpc":"2.0","method":%q}`+"\n", method)
	return err
}

// answer reads lines until the answer to id (notifications are skipped).
func (s *stdioSession) answer(id int) ([]byte, error) {
	want := strconv.Itoa(id)
	for {
		line, err := s.out.ReadBytes('\n')
		if err != nil {
			return nil, fmt.Errorf("reading the answer to request %d: %w", id, err)
		}
		var head struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(line, &head) == nil && string(head.ID) == want {
			return line, nil
		}
	}
}

func (s *stdioSession) close() {
	s.in.Close()
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// rssKB reads a process's resident set (VmRSS) or its peak (VmHWM) in KiB.
func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// cpuTime is a process's user plus system CPU time so far.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	rest := b[bytes.LastIndexByte(b, ')')+2:]
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / clockTicks
}

// clockTicks is USER_HZ, 100 on every Linux this runs on.
const clockTicks = 100

// server is a long-running process whose address is read from its output.
type server struct {
	cmd *exec.Cmd
	url string
	// lines holds everything the process printed, for errors.
	lines bytes.Buffer
}

// startServer launches bin and waits until it prints a loopback URL (the
// HTTP servers log it; the emulator prints it) on stdout or stderr.
func startServer(bin, dir string, env []string, args ...string) (*server, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if s.lines.Len() < 1<<16 {
				s.lines.WriteString(line + "\n")
			}
			if i := strings.Index(line, "http://127.0.0.1:"); i >= 0 && !sent {
				u := line[i:]
				if j := strings.IndexAny(u, "\" \t"); j >= 0 {
					u = u[:j]
				}
				found <- u
				sent = true
			}
		}
	}()
	select {
	case u := <-found:
		s.url = u
		return s, nil
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		return nil, fmt.Errorf("%s printed no address within 30s:\n%s", bin, s.lines.String())
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop ends the process (SIGINT first: the servers shut down cleanly).
func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}
