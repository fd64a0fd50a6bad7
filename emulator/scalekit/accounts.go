package scalekitemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Account statuses known to Scalekit. Only ACTIVE accounts can run tools.
const (
	StatusActive              = "ACTIVE"
	StatusExpired             = "EXPIRED"
	StatusPendingAuth         = "PENDING_AUTH"
	StatusPendingVerification = "PENDING_VERIFICATION"
	StatusDisconnected        = "DISCONNECTED"
)

// DefaultConnector is the connection name used when an Account leaves
// Connector empty.
const DefaultConnector = "tableau"

// Account is a connected account: one end user (Identifier) of one
// connection (Connector) with that user's Tableau personal access token.
type Account struct {
	Identifier string
	Connector  string // "tableau" when empty
	PATName    string
	PATSecret  string
	// SiteContentURL names the Tableau site ("" for the Default site).
	SiteContentURL string
	// Domain is the Tableau host as Scalekit stores it. When it starts with
	// "http" it is used as the Tableau base URL instead of Config.TableauURL.
	Domain string
	Status string // ACTIVE when empty
}

// account is the stored form of an Account.
type account struct {
	id        string
	a         Account
	createdAt time.Time
	updatedAt time.Time
	sess      *tableauSession
}

func normalise(a Account) Account {
	if a.Connector == "" {
		a.Connector = DefaultConnector
	}
	if a.Status == "" {
		a.Status = StatusActive
	}
	return a
}

// AddAccount adds a connected account, or replaces the one with the same
// connector and identifier (which also drops its Tableau session).
func (e *Emulator) AddAccount(a Account) {
	a = normalise(a)
	now := e.cfg.Now()
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.findLocked(a.Connector, a.Identifier); acc != nil {
		acc.a = a
		acc.updatedAt = now
		acc.sess = &tableauSession{}
		return
	}
	e.accounts = append(e.accounts, &account{
		id: newAccountID(), a: a, createdAt: now, updatedAt: now, sess: &tableauSession{},
	})
}

// SetAccountStatus changes an account's status (EXPIRED, DISCONNECTED, ...).
// It does nothing when the account does not exist.
func (e *Emulator) SetAccountStatus(connector, identifier, status string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.findLocked(connector, identifier); acc != nil {
		acc.a.Status = status
		acc.updatedAt = e.cfg.Now()
	}
}

// AccountID returns the "ca_..." id of a connected account, "" when absent.
func (e *Emulator) AccountID(connector, identifier string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if acc := e.findLocked(connector, identifier); acc != nil {
		return acc.id
	}
	return ""
}

func (e *Emulator) findLocked(connector, identifier string) *account {
	for _, acc := range e.accounts {
		if acc.a.Connector == connector && acc.a.Identifier == identifier {
			return acc
		}
	}
	return nil
}

func (e *Emulator) findByIDLocked(id string) *account {
	for _, acc := range e.accounts {
		if acc.id == id {
			return acc
		}
	}
	return nil
}

// lookup returns a snapshot of the account and its session holder.
func (e *Emulator) lookup(connector, identifier, id string) (Account, *tableauSession, string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var acc *account
	if id != "" {
		acc = e.findByIDLocked(id)
	} else {
		acc = e.findLocked(connector, identifier)
	}
	if acc == nil {
		return Account{}, nil, "", false
	}
	return acc.a, acc.sess, acc.id, true
}

func newAccountID() string {
	// Scalekit ids are a prefix and a long decimal number.
	h := randomHex(8)
	n, _ := strconv.ParseUint(h, 16, 64)
	return fmt.Sprintf("ca_%d", n>>1)
}

// --- wire forms ---

type patDetailsOut struct {
	Domain         string `json:"domain"`
	PATName        string `json:"pat_name"`
	SiteContentURL string `json:"site_content_url"`
}

type staticAuthOut struct {
	Details patDetailsOut `json:"details"`
}

type authDetailsOut struct {
	StaticAuth staticAuthOut `json:"static_auth"`
}

// accountOut is a connected account as answered. It never carries the PAT
// secret.
type accountOut struct {
	ID                   string         `json:"id"`
	Identifier           string         `json:"identifier"`
	Provider             string         `json:"provider"`
	Connector            string         `json:"connector"`
	Status               string         `json:"status"`
	AuthorizationType    string         `json:"authorization_type"`
	AuthorizationDetails authDetailsOut `json:"authorization_details"`
	CreatedAt            string         `json:"created_at"`
	UpdatedAt            string         `json:"updated_at"`
}

func (acc *account) out() accountOut {
	return accountOut{
		ID:                acc.id,
		Identifier:        acc.a.Identifier,
		Provider:          "TABLEAU",
		Connector:         acc.a.Connector,
		Status:            acc.a.Status,
		AuthorizationType: "API_KEY",
		AuthorizationDetails: authDetailsOut{StaticAuth: staticAuthOut{Details: patDetailsOut{
			Domain: acc.a.Domain, PATName: acc.a.PATName, SiteContentURL: acc.a.SiteContentURL,
		}}},
		CreatedAt: acc.createdAt.UTC().Format(time.RFC3339),
		UpdatedAt: acc.updatedAt.UTC().Format(time.RFC3339),
	}
}

func (e *Emulator) handleAccountGet(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	connector, identifier, id := q.Get("connector"), q.Get("identifier"), q.Get("connected_account_id")
	if id == "" {
		if connector == "" {
			writeError(w, invalidArg("connector is required"))
			return
		}
		if identifier == "" {
			writeError(w, invalidArg("identifier is required"))
			return
		}
	}
	e.mu.Lock()
	var acc *account
	if id != "" {
		acc = e.findByIDLocked(id)
	} else {
		acc = e.findLocked(connector, identifier)
	}
	var out accountOut
	if acc != nil {
		out = acc.out()
	}
	e.mu.Unlock()
	if acc == nil {
		writeError(w, newError(http.StatusNotFound, ErrCodeNotFound, "connected account not found"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"connected_account": out})
}

func (e *Emulator) handleAccountList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	connector, identifier := q.Get("connector"), q.Get("identifier")
	pageSize := 50
	if s := q.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeError(w, invalidArg("page_size must be a non-negative integer"))
			return
		}
		if n > 0 {
			pageSize = min(n, 100)
		}
	}
	offset := 0
	if s := q.Get("page_token"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			writeError(w, invalidArg("page_token is not valid"))
			return
		}
		offset = n
	}
	e.mu.Lock()
	var all []accountOut
	for _, acc := range e.accounts {
		if (connector == "" || acc.a.Connector == connector) && (identifier == "" || acc.a.Identifier == identifier) {
			all = append(all, acc.out())
		}
	}
	e.mu.Unlock()
	page := []accountOut{}
	next := ""
	if offset < len(all) {
		end := min(offset+pageSize, len(all))
		page = all[offset:end]
		if end < len(all) {
			next = strconv.Itoa(end)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"connected_accounts": page,
		"total_size":         len(all),
		"next_page_token":    next,
	})
}

type patDetailsIn struct {
	Domain         *string `json:"domain"`
	PATName        *string `json:"pat_name"`
	PATSecret      *string `json:"pat_secret"`
	SiteContentURL *string `json:"site_content_url"`
}

type upsertBody struct {
	Connector          string `json:"connector"`
	Identifier         string `json:"identifier"`
	ConnectedAccountID string `json:"connected_account_id"`
	ConnectedAccount   *struct {
		Status               string `json:"status"`
		AuthorizationDetails *struct {
			StaticAuth *struct {
				Details *patDetailsIn `json:"details"`
			} `json:"static_auth"`
		} `json:"authorization_details"`
	} `json:"connected_account"`
}

func (b *upsertBody) details() *patDetailsIn {
	if b.ConnectedAccount == nil || b.ConnectedAccount.AuthorizationDetails == nil ||
		b.ConnectedAccount.AuthorizationDetails.StaticAuth == nil {
		return nil
	}
	return b.ConnectedAccount.AuthorizationDetails.StaticAuth.Details
}

// handleAccountUpsert serves POST (create) and PUT (update).
func (e *Emulator) handleAccountUpsert(w http.ResponseWriter, r *http.Request, update bool) {
	var b upsertBody
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		writeError(w, invalidArg("request body is not valid JSON: "+err.Error()))
		return
	}
	if b.ConnectedAccountID == "" {
		if b.Connector == "" {
			writeError(w, invalidArg("connector is required"))
			return
		}
		if b.Identifier == "" {
			writeError(w, invalidArg("identifier is required"))
			return
		}
	} else if !update {
		writeError(w, invalidArg("connected_account_id cannot be set on create"))
		return
	}
	d := b.details()
	status := ""
	if b.ConnectedAccount != nil {
		status = strings.ToUpper(b.ConnectedAccount.Status)
	}
	now := e.cfg.Now()

	e.mu.Lock()
	var acc *account
	if b.ConnectedAccountID != "" {
		acc = e.findByIDLocked(b.ConnectedAccountID)
	} else {
		acc = e.findLocked(b.Connector, b.Identifier)
	}
	switch {
	case update && acc == nil:
		e.mu.Unlock()
		writeError(w, newError(http.StatusNotFound, ErrCodeNotFound, "connected account not found"))
		return
	case !update && acc != nil:
		e.mu.Unlock()
		writeError(w, newError(http.StatusConflict, ErrCodeAlreadyExists, "connected account already exists"))
		return
	case !update:
		acc = &account{id: newAccountID(), a: Account{Connector: b.Connector, Identifier: b.Identifier},
			createdAt: now, sess: &tableauSession{}}
		e.accounts = append(e.accounts, acc)
	}
	if d != nil {
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		set(&acc.a.Domain, d.Domain)
		set(&acc.a.PATName, d.PATName)
		set(&acc.a.PATSecret, d.PATSecret)
		set(&acc.a.SiteContentURL, d.SiteContentURL)
		acc.sess = &tableauSession{} // new credentials, new Tableau session
	}
	switch {
	case status != "":
		acc.a.Status = status
	case acc.a.PATName != "" && acc.a.PATSecret != "" && (d != nil || acc.a.Status == ""):
		acc.a.Status = StatusActive
	case acc.a.Status == "":
		acc.a.Status = StatusPendingAuth
	}
	acc.updatedAt = now
	out := acc.out()
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"connected_account": out})
}
