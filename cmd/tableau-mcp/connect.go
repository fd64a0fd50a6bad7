package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/tableau-mcp/tableau-mcp/scalekit"
)

// connect creates or updates the Scalekit connected account of identifier
// with a Tableau PAT typed at the terminal, then checks it as doctor does.
// The secret is read from the terminal without echo (from stdin when it is
// not a terminal), never from arguments or the environment.
func connect(ctx context.Context, cfg *config, log *zap.Logger, identifier string, stdin io.Reader, stdout, stderr io.Writer) error {
	if identifier == "" {
		identifier = cfg.ScalekitIdentifier
	}
	if identifier == "" {
		return errors.New("connect needs the identifier of the connected account: --identifier ID or SCALEKIT_IDENTIFIER (over HTTP with OAuth, a caller's identifier is the sub of their token, e.g. usr_...)")
	}
	if cfg.DemoViaScalekit {
		return errors.New("connect writes to a real Scalekit environment; --demo-via-scalekit has its demo account already")
	}
	name, err := cfg.chooseBackend()
	if err != nil {
		return err
	}
	if name != "scalekit" {
		return errors.New("connect needs the Scalekit settings: SCALEKIT_ENVIRONMENT_URL, SCALEKIT_CLIENT_ID and SCALEKIT_CLIENT_SECRET (Scalekit dashboard → Developers → API Credentials)")
	}
	b, err := openBackend(cfg, log, nil)
	if err != nil {
		return err
	}
	defer closeBackend(b, log)
	sk, ok := b.(*scalekit.Client)
	if !ok {
		return fmt.Errorf("connect needs the scalekit backend, not %s", b.Name())
	}

	in := newPrompter(stdin, stderr)
	fmt.Fprintf(stderr, "Connecting Tableau for %q on Scalekit connection %q.\n", identifier, sk.Connection())
	var pat scalekit.PAT
	if pat.Domain, err = in.line("Tableau server URL (such as https://prod-useast-a.online.tableau.com)", cfg.TableauServerURL); err != nil {
		return err
	}
	pat.Domain = strings.TrimRight(pat.Domain, "/")
	if err := checkTableauServer(pat.Domain); err != nil {
		return err
	}
	if pat.SiteContentURL, err = in.line("Site content URL (the part after /site/ in Tableau's URLs; empty for the Default site)", cfg.TableauSite); err != nil {
		return err
	}
	if pat.Name, err = in.line("Personal access token name", cfg.TableauPATName); err != nil {
		return err
	}
	if pat.Name == "" {
		return errors.New("no personal access token name given: create one in Tableau under My Account Settings → Personal Access Tokens")
	}
	if pat.Secret, err = in.secret("Personal access token secret"); err != nil {
		return err
	}
	if pat.Secret == "" {
		return errors.New("no personal access token secret given")
	}
	status, err := sk.Connect(ctx, identifier, pat)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "connected account %q on connection %q saved (status %s); checking it:\n", identifier, sk.Connection(), nonEmptyStatus(status))
	cfg.ScalekitIdentifier = identifier
	return doctor(ctx, cfg, zap.NewNop(), stdout)
}

func nonEmptyStatus(s string) string {
	if s == "" {
		return "not reported"
	}
	return s
}

// checkTableauServer accepts an http(s) URL or a bare host name.
func checkTableauServer(s string) error {
	if s == "" {
		return errors.New("no Tableau server given: type its URL, such as https://prod-useast-a.online.tableau.com")
	}
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("%q is not a Tableau server URL such as https://prod-useast-a.online.tableau.com (no path: the site is asked next)", s)
	}
	return nil
}

// prompter asks questions on stderr and reads answers from stdin.
type prompter struct {
	r   *bufio.Reader
	raw io.Reader
	out io.Writer
}

func newPrompter(stdin io.Reader, out io.Writer) *prompter {
	return &prompter{r: bufio.NewReader(stdin), raw: stdin, out: out}
}

func (p *prompter) line(question, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(p.out, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(p.out, "%s: ", question)
	}
	s, err := p.r.ReadString('\n')
	if err != nil && (err != io.EOF || s == "") {
		return "", fmt.Errorf("reading %q: input ended", question)
	}
	if s = strings.TrimSpace(s); s == "" {
		s = def
	}
	return s, nil
}

// secret reads without echo from a terminal, else a line of stdin.
func (p *prompter) secret(question string) (string, error) {
	if f, ok := p.raw.(*os.File); ok && term.IsTerminal(int(f.Fd())) && p.r.Buffered() == 0 {
		fmt.Fprintf(p.out, "%s (not shown): ", question)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(p.out)
		if err != nil {
			return "", fmt.Errorf("reading the secret: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	fmt.Fprintf(p.out, "%s: ", question)
	s, err := p.r.ReadString('\n')
	if err != nil && (err != io.EOF || s == "") {
		return "", fmt.Errorf("reading %q: input ended", question)
	}
	return strings.TrimSpace(s), nil
}
