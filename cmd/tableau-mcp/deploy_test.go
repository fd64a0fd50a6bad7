package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/tableau-mcp/tableau-mcp/auth"
)

// manifests parses every document of the files in deploy/kubernetes, by kind.
func manifests(t *testing.T) map[string]map[string]any {
	t.Helper()
	files, err := filepath.Glob("../../deploy/kubernetes/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	out := map[string]map[string]any{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var doc map[string]any
			if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			kind, _ := doc["kind"].(string)
			if kind == "" {
				t.Fatalf("%s: a document without kind", f)
			}
			if out[kind] == nil { // the first of a kind stands for it
				out[kind] = doc
			}
			out[kind+"/"+str(doc, "metadata", "name")] = doc
		}
	}
	return out
}

// at walks maps and lists: at(doc, "spec", "template", 0, ...).
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string { s, _ := at(v, path...).(string); return s }

// TestKubernetesManifests checks the deployment to copy: every flag and
// environment variable it names exists and parses, the probes hit the
// server's health paths, the pod runs non-root on a read-only root
// filesystem, and the objects refer to each other by the right names.
func TestKubernetesManifests(t *testing.T) {
	m := manifests(t)
	for _, kind := range []string{"Deployment", "Service", "Secret", "HorizontalPodAutoscaler", "PodDisruptionBudget"} {
		if m[kind] == nil {
			t.Fatalf("no %s in deploy/kubernetes", kind)
		}
	}
	d := m["Deployment"]
	if r, _ := at(d, "spec", "replicas").(int); r != 3 {
		t.Errorf("replicas %v, want 3", at(d, "spec", "replicas"))
	}
	c := at(d, "spec", "template", "spec", "containers", 0)

	// Flags and variables: every one named is a setting, and together they
	// make a configuration the command accepts.
	var cfg config
	fs := flagSet()
	fs.SetOutput(io.Discard)
	cfg.define(fs)
	envs := map[string]bool{}
	for _, s := range cfg.settings {
		envs[s.env] = true
	}
	var args []string
	for _, a := range at(c, "args").([]any) {
		s := a.(string)
		name, _, _ := strings.Cut(strings.TrimPrefix(s, "--"), "=")
		if !strings.HasPrefix(s, "--") || fs.Lookup(name) == nil {
			t.Errorf("argument %q is not a flag of tableau-mcp", s)
		}
		args = append(args, s)
	}
	setEnv(t, nil)
	secrets := at(m["Secret"], "stringData").(map[string]any)
	for _, e := range at(c, "env").([]any) {
		name := str(e, "name")
		if !envs[name] {
			t.Errorf("environment variable %s is not a setting of tableau-mcp", name)
		}
		value := str(e, "value")
		if ref := at(e, "valueFrom", "secretKeyRef"); ref != nil {
			key := str(ref, "key")
			if str(ref, "name") != str(m["Secret"], "metadata", "name") || secrets[key] == nil {
				t.Errorf("%s comes from secret key %q that the Secret does not hold", name, key)
			}
			value, _ = secrets[key].(string)
		}
		t.Setenv(name, value)
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if err := cfg.resolve(fs); err != nil {
		t.Fatalf("the manifest's settings: %v", err)
	}
	if b, err := cfg.chooseBackend(); err != nil || b != "tableau" || !cfg.connectedApp() {
		t.Errorf("backend %q (%v), want tableau with a connected app", b, err)
	}
	if _, err := cfg.switches(); err != nil {
		t.Errorf("the manifest's switches: %v", err)
	}
	if cfg.Transport != "http" || !strings.HasSuffix(cfg.Listen, ":8080") {
		t.Errorf("transport %q on %q, want http on :8080", cfg.Transport, cfg.Listen)
	}
	tokens := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(tokens, []byte(secrets["tokens"].(string)), 0o600)
	if _, err := auth.LoadTokenFile(tokens); err != nil {
		t.Errorf("the Secret's token file: %v", err)
	}

	// The token file is mounted where --auth-file reads it.
	mount := at(c, "volumeMounts", 0)
	if !strings.HasPrefix(cfg.AuthFile, str(mount, "mountPath")+"/") || str(at(d, "spec", "template", "spec", "volumes", 0), "secret", "secretName") != "tableau-mcp" {
		t.Errorf("--auth-file %s is not in the secret volume mounted at %s", cfg.AuthFile, str(mount, "mountPath"))
	}

	// Probes, port, security.
	if str(c, "livenessProbe", "httpGet", "path") != "/healthz" || str(c, "readinessProbe", "httpGet", "path") != "/readyz" {
		t.Errorf("probes on %q and %q, want /healthz and /readyz", str(c, "livenessProbe", "httpGet", "path"), str(c, "readinessProbe", "httpGet", "path"))
	}
	if p, _ := at(c, "ports", 0, "containerPort").(int); p != 8080 {
		t.Errorf("containerPort %v, want the --listen port 8080", at(c, "ports", 0, "containerPort"))
	}
	if at(c, "securityContext", "readOnlyRootFilesystem") != true || at(c, "securityContext", "allowPrivilegeEscalation") != false ||
		at(d, "spec", "template", "spec", "securityContext", "runAsNonRoot") != true {
		t.Error("the container must run non-root, without privilege escalation, on a read-only root filesystem")
	}
	if at(c, "resources", "requests", "cpu") == nil || at(c, "resources", "limits", "memory") == nil {
		t.Error("no resource requests and limits")
	}

	// Names and selectors agree.
	labels := at(d, "spec", "template", "metadata", "labels").(map[string]any)
	for kind, sel := range map[string]any{"Service": at(m["Service"], "spec", "selector"), "PodDisruptionBudget": at(m["PodDisruptionBudget"], "spec", "selector", "matchLabels")} {
		for k, v := range sel.(map[string]any) {
			if labels[k] != v {
				t.Errorf("%s selects %s=%v, which the pods do not carry", kind, k, v)
			}
		}
	}
	// --peers names the headless Service of the replicas, on their port.
	for _, peer := range commaList(cfg.Peers) {
		host, port, _ := strings.Cut(peer, ":")
		svc := m["Service/"+host]
		if svc == nil || str(svc, "spec", "clusterIP") != "None" {
			t.Errorf("--peers %s does not name a headless Service of the manifests", peer)
			continue
		}
		if p, _ := at(svc, "spec", "ports", 0, "port").(int); fmt.Sprint(p) != port {
			t.Errorf("--peers port %s, the headless Service serves %v", port, p)
		}
		for k, v := range at(svc, "spec", "selector").(map[string]any) {
			if labels[k] != v {
				t.Errorf("the peers Service selects %s=%v, which the pods do not carry", k, v)
			}
		}
	}
	if cfg.Peers == "" || cfg.SessionSecret == "" {
		t.Error("the replicas need --peers and the shared session secret")
	}
	if str(m["HorizontalPodAutoscaler"], "spec", "scaleTargetRef", "name") != str(d, "metadata", "name") {
		t.Error("the HorizontalPodAutoscaler does not scale the Deployment")
	}
	if n, _ := at(m["HorizontalPodAutoscaler"], "spec", "minReplicas").(int); n < 3 {
		t.Errorf("minReplicas %d, want at least the Deployment's 3", n)
	}
}
