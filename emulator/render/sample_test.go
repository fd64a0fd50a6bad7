package render

import (
	"os"
	"testing"
)

var superstore = Chart{
	Title:     "Sales by Region",
	Dimension: "Region",
	Measure:   "SUM(Sales)",
	Labels:    []string{"Central", "East", "South", "West"},
	Values:    []float64{501239.89, 678781.24, 391721.91, 725457.82},
}

// TestWriteSamples writes a PNG and a PDF to /tmp for a person to look at.
// It runs only when RENDER_SAMPLES=1.
func TestWriteSamples(t *testing.T) {
	if os.Getenv("RENDER_SAMPLES") != "1" {
		t.Skip("set RENDER_SAMPLES=1 to write /tmp/render-sample.png and /tmp/render-sample.pdf")
	}
	b, err := PNG(superstore, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/tmp/render-sample.png", b, 0o644); err != nil {
		t.Fatal(err)
	}
	pdf, err := PDF(superstore, "a4", "landscape")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/tmp/render-sample.pdf", pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	many := Chart{Title: "Profit by Sub-Category", Dimension: "Sub-Category", Measure: "SUM(Profit)",
		Labels: []string{"Copiers", "Phones", "Accessories", "Paper", "Binders", "Chairs", "Storage", "Appliances", "Furnishings", "Envelopes", "Art", "Labels", "Machines", "Fasteners", "Supplies", "Bookcases", "Tables"},
		Values: []float64{55617.82, 44515.73, 41936.64, 34053.57, 30221.76, 26590.17, 21278.83, 18138.01, 13059.14, 6964.18, 6527.79, 5546.25, 3384.76, 949.52, -1189.10, -3472.56, -17725.48}}
	b, err = PNG(many, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("/tmp/render-sample-h.png", b, 0o644); err != nil {
		t.Fatal(err)
	}
}
