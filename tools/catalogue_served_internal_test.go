package tools

import (
	"math/rand/v2"
	"regexp"
	"testing"
)

// toolNameRE is what missing finds tool names by, written as a regexp.
var toolNameRE = regexp.MustCompile(`tableau_[a-z_]+[a-z]`)

func missingByRegexp(s Served, text string) bool {
	for _, n := range toolNameRE.FindAllString(text, -1) {
		if !s[n] {
			return true
		}
	}
	return false
}

func checkMissing(t *testing.T, s Served, text string) {
	t.Helper()
	want := missingByRegexp(s, text)
	if got := s.missing(text); got != want {
		t.Errorf("missing(%q) = %v, the regexp says %v", text, got, want)
	}
	if got := missingIn(s, readOnlyString([]byte(text))); got != want {
		t.Errorf("missingIn(readOnlyString(%q)) = %v, the regexp says %v", text, got, want)
	}
}

// TestMissingFindsWhatTheRegexpFinds: missing scans for tool names by hand;
// it agrees with the regexp on every description and schema, on edge
// cases, and on random text built from the characters that matter.
func TestMissingFindsWhatTheRegexpFinds(t *testing.T) {
	all := ServedSet(All())
	some := ServedSet(All()[:10])
	none := Served{}
	for _, s := range []Served{all, some, none} {
		for _, tool := range All() {
			def, err := tool.MCP()
			if err != nil {
				t.Fatal(err)
			}
			checkMissing(t, s, def.Description)
			checkMissing(t, s, string(def.RawInputSchema))
		}
		for _, text := range []string{"", "tableau_", "tableau_a", "tableau_ab", "tableau_a_", "tableau_a_b", "tableau__", "tableau___x",
			"xtableau_jobs_list.", "tableau_tableau_jobs_list", "tableau_jobs_list_", "(tableau_job_get)", "tableau_Jobs", "tableau_jobs_list or tableau_job_get"} {
			checkMissing(t, s, text)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"tableau_", "tableau_job_get", "tableau_jobs_list", "_", "a", "b", "z", "A", " ", ".", "(", "tableau"}
	for range 20000 {
		var b []byte
		for range r.IntN(8) {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		checkMissing(t, some, string(b))
		checkMissing(t, none, string(b))
	}
}

func FuzzMissing(f *testing.F) {
	f.Add("tableau_jobs_list or tableau_job_get")
	some := ServedSet(All()[:10])
	f.Fuzz(func(t *testing.T, text string) { checkMissing(t, some, text) })
}
