package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// dockerfile reads the Dockerfile's instructions, continuation lines joined.
func dockerfile(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			cur += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		out = append(out, cur+line)
		cur = ""
	}
	return out
}

func instruction(lines []string, name string) []string {
	var out []string
	for _, l := range lines {
		if kw, rest, _ := strings.Cut(l, " "); strings.EqualFold(kw, name) {
			out = append(out, strings.TrimSpace(rest))
		}
	}
	return out
}

// TestDockerfile checks what no Docker engine here can run: the health
// check runs this binary's health command in exec form (the image has no
// shell), the binary is where the entry point says, the listen address is
// on all interfaces at the exposed port, the build stamps the variables
// --version prints, and the Go image matches go.mod.
func TestDockerfile(t *testing.T) {
	lines := dockerfile(t)
	var entry []string
	if e := instruction(lines, "ENTRYPOINT"); len(e) != 1 || json.Unmarshal([]byte(e[0]), &entry) != nil || len(entry) != 1 {
		t.Fatalf("ENTRYPOINT %q, want one exec-form binary", e)
	}
	if copies := instruction(lines, "COPY"); !strings.HasSuffix(copies[len(copies)-1], " "+entry[0]) {
		t.Errorf("the last COPY %q does not put the binary at %s", copies[len(copies)-1], entry[0])
	}
	hc := instruction(lines, "HEALTHCHECK")
	if len(hc) != 1 {
		t.Fatalf("HEALTHCHECK %q", hc)
	}
	_, cmd, ok := strings.Cut(hc[0], "CMD ")
	var argv []string
	if !ok || json.Unmarshal([]byte(cmd), &argv) != nil {
		t.Fatalf("HEALTHCHECK %q is not in exec form (distroless has no shell)", hc[0])
	}
	if len(argv) != 2 || argv[0] != entry[0] || argv[1] != "health" {
		t.Errorf("HEALTHCHECK runs %q, want [%s health]", argv, entry[0])
	}
	env := instruction(lines, "ENV")
	if len(env) != 1 || env[0] != "TABLEAU_MCP_LISTEN=0.0.0.0:8080" {
		t.Errorf("ENV %q, want TABLEAU_MCP_LISTEN=0.0.0.0:8080", env)
	}
	if e := instruction(lines, "EXPOSE"); len(e) != 1 || e[0] != "8080" {
		t.Errorf("EXPOSE %q", e)
	}
	var build string
	for _, r := range instruction(lines, "RUN") {
		if strings.Contains(r, "go build") {
			build = r
		}
	}
	for _, v := range []string{"main.version=", "main.commit=", "main.date="} {
		if !strings.Contains(build, "-X "+v) {
			t.Errorf("the build does not set %s: %s", v, build)
		}
	}
	gomod, _ := os.ReadFile("../../go.mod")
	want := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if from := instruction(lines, "FROM"); len(want) < 2 || !strings.HasPrefix(from[0], "golang:"+string(want[1])+" ") {
		t.Errorf("build image %q, go.mod says go %s", from[0], want[1])
	}

	ignore, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	patterns := map[string]bool{}
	for _, l := range strings.Split(string(ignore), "\n") {
		patterns[strings.TrimSpace(l)] = true
	}
	for _, p := range []string{".git", ".env", "tokens"} {
		if !patterns[p] {
			t.Errorf(".dockerignore does not keep %s out of the build", p)
		}
	}
}

// TestComposeFile parses compose.yaml: one service, built here, published
// on loopback at the port the image listens on, over http with the token
// file mounted where TABLEAU_MCP_AUTH_FILE points, and only settings this
// binary knows.
func TestComposeFile(t *testing.T) {
	raw, err := os.ReadFile("../../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Services map[string]struct {
			Build       string            `yaml:"build"`
			Ports       []string          `yaml:"ports"`
			Environment map[string]string `yaml:"environment"`
			Secrets     []string          `yaml:"secrets"`
		} `yaml:"services"`
		Secrets map[string]struct {
			File string `yaml:"file"`
		} `yaml:"secrets"`
	}
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	svc, ok := c.Services["tableau-mcp"]
	if !ok || len(c.Services) != 1 || svc.Build != "." {
		t.Fatalf("services %+v", c.Services)
	}
	if len(svc.Ports) != 1 || svc.Ports[0] != "127.0.0.1:8080:8080" {
		t.Errorf("ports %q, want the container's 8080 on loopback only", svc.Ports)
	}
	if svc.Environment["TABLEAU_MCP_TRANSPORT"] != "http" {
		t.Errorf("transport %q", svc.Environment["TABLEAU_MCP_TRANSPORT"])
	}
	if len(svc.Secrets) != 1 || svc.Environment["TABLEAU_MCP_AUTH_FILE"] != "/run/secrets/"+svc.Secrets[0] || c.Secrets[svc.Secrets[0]].File != "./tokens" {
		t.Errorf("the token file: secrets %q, TABLEAU_MCP_AUTH_FILE %q, file %q", svc.Secrets, svc.Environment["TABLEAU_MCP_AUTH_FILE"], c.Secrets)
	}
	var cfg config
	cfg.init()
	known := map[string]bool{}
	for _, s := range cfg.settings {
		known[s.env] = true
	}
	for k := range svc.Environment {
		if !known[k] {
			t.Errorf("compose.yaml sets %s, which is no setting", k)
		}
	}
}

// TestHealthCommand asks a running HTTP server, as the container's health
// check does: ready answers 0, a refused port an error, stdio passes.
func TestHealthCommand(t *testing.T) {
	addr := freeAddr(t)
	srv := exec.Command(binary, "--transport", "http", "--listen", addr, "--no-auth", "--log-level", "error")
	srv.Env = cleanEnv()
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Process.Kill(); srv.Wait() })
	setEnv(t, nil)
	var out, errb bytes.Buffer
	waitFor(t, "the server to be ready", func() bool {
		out.Reset()
		return run([]string{"health", "--transport", "http", "--listen", addr}, nil, &out, &errb) == nil
	})
	if !strings.Contains(out.String(), "http://"+addr+"/readyz answered 200 OK") {
		t.Errorf("health printed %q", out.String())
	}
	// The image's setting: all interfaces, asked on loopback.
	_, port, _ := strings.Cut(addr, ":")
	if err := run([]string{"health", "--transport", "http", "--listen", "0.0.0.0:" + port}, nil, &out, &errb); err != nil {
		t.Errorf("health on 0.0.0.0: %v", err)
	}
	if err := run([]string{"health", "--url", "http://" + addr + "/healthz"}, nil, &out, &errb); err != nil {
		t.Errorf("health --url: %v", err)
	}
	err := run([]string{"health", "--transport", "sse", "--listen", freeAddr(t)}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("health of a refused port: %v", err)
	}
	out.Reset()
	if err := run([]string{"health"}, nil, &out, &errb); err != nil || !strings.Contains(out.String(), "stdio") {
		t.Errorf("health over stdio: %v %q", err, out.String())
	}
	if _, _, code := runBinary(t, t.TempDir(), cleanEnv("TABLEAU_MCP_TRANSPORT=http", "TABLEAU_MCP_LISTEN="+freeAddr(t)), "health"); code != 1 {
		t.Errorf("the binary's health of nothing exits %d, want 1", code)
	}
}
