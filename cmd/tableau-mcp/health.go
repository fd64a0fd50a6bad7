package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// health asks a running HTTP server whether it is ready. It is what the
// container's HEALTHCHECK runs: the image has no shell or curl.
func health(ctx context.Context, cfg *config, target string, w io.Writer) error {
	if target == "" {
		if cfg.Transport == "stdio" {
			fmt.Fprintln(w, "the transport is stdio: there is no HTTP endpoint to ask (set --transport http or sse, or --url)")
			return nil
		}
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return fmt.Errorf("--listen %q is not a host:port address such as 127.0.0.1:8080", cfg.Listen)
		}
		switch host {
		case "", "0.0.0.0":
			host = "127.0.0.1"
		case "::":
			host = "::1"
		}
		target = "http://" + net.JoinHostPort(host, port) + "/readyz"
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q is not an http(s) URL such as http://127.0.0.1:8080/readyz", target)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s did not answer: %v", u.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s: %s", u.Redacted(), resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(w, "%s answered %s\n", u.Redacted(), resp.Status)
	return nil
}

func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
