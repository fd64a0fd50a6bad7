package auth

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
)

// MinTokenLength is the shortest plain token a token file may hold.
const MinTokenLength = 16

// TokenFile holds static bearer tokens read from a file of lines
// "IDENTIFIER TOKEN". A token is written plain or as "sha256:HEX" (the hex
// SHA-256 digest of the token), so that the file need hold no secret. Blank
// lines and lines starting with '#' are ignored. One identifier may have
// several tokens (for rotation); one token may not name two identifiers.
//
// Only digests are kept in memory, and a presented token is compared with
// every one of them in constant time.
type TokenFile struct {
	path    string
	entries atomic.Pointer[[]tokenEntry]
}

type tokenEntry struct {
	id     string
	digest [sha256.Size]byte
}

// LoadTokenFile reads the token file at path.
func LoadTokenFile(path string) (*TokenFile, error) {
	f := &TokenFile{path: path}
	if err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// Reload reads the file again and swaps the tokens in at once. On error the
// tokens in force stay, so a bad edit does not lock every caller out.
func (f *TokenFile) Reload() error {
	raw, err := os.ReadFile(f.path)
	if err != nil {
		return fmt.Errorf("reading the auth file: %w", err)
	}
	entries, err := parseTokens(raw)
	if err != nil {
		return fmt.Errorf("auth file %s: %w", f.path, err)
	}
	f.entries.Store(&entries)
	return nil
}

// Len is the number of tokens in force.
func (f *TokenFile) Len() int { return len(*f.entries.Load()) }

// Lookup returns the identifier of token. It compares the token's digest
// with every entry, without stopping at a match, in constant time.
func (f *TokenFile) Lookup(token string) (string, bool) {
	d := sha256.Sum256([]byte(token))
	found := ""
	for _, e := range *f.entries.Load() {
		if subtle.ConstantTimeCompare(d[:], e.digest[:]) == 1 {
			found = e.id
		}
	}
	return found, found != ""
}

// parseTokens parses the content of a token file. Error messages name the
// line, never the token.
func parseTokens(raw []byte) ([]tokenEntry, error) {
	var out []tokenEntry
	seen := map[[sha256.Size]byte]int{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) != 2 {
			return nil, fmt.Errorf("line %d: want IDENTIFIER TOKEN separated by a space, found %d fields", n, len(fields))
		}
		id, tok := fields[0], fields[1]
		if err := CheckIdentifier(id); err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
		var e tokenEntry
		e.id = id
		if h, ok := strings.CutPrefix(tok, "sha256:"); ok {
			b, err := hex.DecodeString(h)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("line %d: sha256: must be followed by the 64 hex digits of the token's SHA-256 digest", n)
			}
			copy(e.digest[:], b)
		} else {
			if len(tok) < MinTokenLength {
				return nil, fmt.Errorf("line %d: the token is shorter than %d characters; use a long random token (e.g. openssl rand -hex 32)", n, MinTokenLength)
			}
			e.digest = sha256.Sum256([]byte(tok))
		}
		if prev, dup := seen[e.digest]; dup {
			return nil, fmt.Errorf("line %d: the same token as line %d; every token must be unique", n, prev)
		}
		seen[e.digest] = n
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no tokens; write one IDENTIFIER TOKEN per line")
	}
	return out, nil
}

// HashToken returns the "sha256:HEX" form of a token for the token file.
func HashToken(token string) string {
	d := sha256.Sum256([]byte(token))
	return "sha256:" + hex.EncodeToString(d[:])
}
