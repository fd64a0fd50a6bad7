package sampledata

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Superstore date range: first and last order day.
func superstoreFirstDay() time.Time { return date(2023, time.January, 1) }
func superstoreLastDay() time.Time  { return Today() }

const superstoreOrderCount = 1600

type place struct {
	city, state, region string
	weight              float64
}

var places = []place{
	{"Los Angeles", "California", "West", 9}, {"San Francisco", "California", "West", 6},
	{"San Diego", "California", "West", 4}, {"Seattle", "Washington", "West", 6},
	{"Portland", "Oregon", "West", 3}, {"Denver", "Colorado", "West", 3},
	{"Phoenix", "Arizona", "West", 3}, {"Salt Lake City", "Utah", "West", 1.5},
	{"Las Vegas", "Nevada", "West", 2},
	{"New York City", "New York", "East", 10}, {"Philadelphia", "Pennsylvania", "East", 6},
	{"Boston", "Massachusetts", "East", 3}, {"Columbus", "Ohio", "East", 3},
	{"Newark", "New Jersey", "East", 1.5}, {"Providence", "Rhode Island", "East", 1},
	{"Wilmington", "Delaware", "East", 1}, {"Buffalo", "New York", "East", 1.5},
	{"Houston", "Texas", "Central", 6}, {"Dallas", "Texas", "Central", 3},
	{"San Antonio", "Texas", "Central", 2}, {"Austin", "Texas", "Central", 2},
	{"Chicago", "Illinois", "Central", 6}, {"Detroit", "Michigan", "Central", 2},
	{"Minneapolis", "Minnesota", "Central", 1.5}, {"Milwaukee", "Wisconsin", "Central", 1},
	{"Indianapolis", "Indiana", "Central", 1.5}, {"Oklahoma City", "Oklahoma", "Central", 1},
	{"Jacksonville", "Florida", "South", 2}, {"Miami", "Florida", "South", 2},
	{"Tampa", "Florida", "South", 1.5}, {"Atlanta", "Georgia", "South", 2},
	{"Charlotte", "North Carolina", "South", 1.5}, {"Raleigh", "North Carolina", "South", 1},
	{"Nashville", "Tennessee", "South", 1.5}, {"Memphis", "Tennessee", "South", 1},
	{"Richmond", "Virginia", "South", 1}, {"Louisville", "Kentucky", "South", 1},
	{"New Orleans", "Louisiana", "South", 1}, {"Birmingham", "Alabama", "South", 0.7},
}

type product struct {
	category, subCategory, name string
	price                       float64 // list unit price
	margin                      float64 // profit margin before discount
}

var products = []product{
	{"Furniture", "Bookcases", "Alder Ridge 5-Shelf Bookcase", 219.99, 0.14},
	{"Furniture", "Bookcases", "Cobalt Modular Cube Shelf", 129.50, 0.10},
	{"Furniture", "Bookcases", "Harbor Oak Barrister Bookcase", 389.00, 0.12},
	{"Furniture", "Chairs", "Meridian Mesh Task Chair", 189.99, 0.16},
	{"Furniture", "Chairs", "Summit Executive Leather Chair", 349.95, 0.18},
	{"Furniture", "Chairs", "Stackable Guest Chair, Set of 4", 239.00, 0.15},
	{"Furniture", "Chairs", "Ergo Pro Kneeling Stool", 119.00, 0.13},
	{"Furniture", "Furnishings", "Brushed Steel Desk Lamp", 39.99, 0.30},
	{"Furniture", "Furnishings", "Walnut Frame Wall Clock", 24.50, 0.32},
	{"Furniture", "Furnishings", "Anti-Fatigue Floor Mat", 44.00, 0.28},
	{"Furniture", "Furnishings", "Magnetic Whiteboard Frame", 59.90, 0.26},
	{"Furniture", "Tables", "Fold-Flat Training Table", 279.00, 0.05},
	{"Furniture", "Tables", "Round Conference Table, 48in", 499.00, 0.07},
	{"Furniture", "Tables", "Adjustable Standing Desk", 629.00, 0.09},
	{"Office Supplies", "Appliances", "Compact Desk Fan", 29.99, 0.25},
	{"Office Supplies", "Appliances", "HEPA Air Purifier", 149.00, 0.22},
	{"Office Supplies", "Appliances", "Breakroom Microwave, 1.1 cu ft", 119.99, 0.20},
	{"Office Supplies", "Art", "Fine-Point Marker Set, 24 Colors", 12.49, 0.35},
	{"Office Supplies", "Art", "Graphite Pencil Pack", 6.99, 0.38},
	{"Office Supplies", "Art", "Sketch Pad, 100 Sheets", 9.50, 0.36},
	{"Office Supplies", "Binders", "Heavy-Duty D-Ring Binder, 3in", 14.99, 0.33},
	{"Office Supplies", "Binders", "Clear View Presentation Binder", 7.49, 0.34},
	{"Office Supplies", "Binders", "Comb Binding Machine", 189.00, 0.28},
	{"Office Supplies", "Envelopes", "Security Tint Envelopes, 500", 24.99, 0.40},
	{"Office Supplies", "Envelopes", "Padded Mailers, 25 Pack", 18.75, 0.38},
	{"Office Supplies", "Fasteners", "Jumbo Paper Clips, 1000", 4.99, 0.30},
	{"Office Supplies", "Fasteners", "Assorted Binder Clips", 6.49, 0.29},
	{"Office Supplies", "Labels", "Shipping Labels, 300 Sheets", 21.99, 0.42},
	{"Office Supplies", "Labels", "Color-Coded File Labels", 8.99, 0.41},
	{"Office Supplies", "Paper", "Multipurpose Copy Paper, 10 Reams", 49.99, 0.40},
	{"Office Supplies", "Paper", "Recycled Notepads, 12 Pack", 15.99, 0.43},
	{"Office Supplies", "Paper", "Cardstock, 250 Sheets", 19.49, 0.41},
	{"Office Supplies", "Storage", "Steel Lateral File Cabinet", 259.00, 0.12},
	{"Office Supplies", "Storage", "Stackable Storage Bins, 6 Pack", 39.99, 0.18},
	{"Office Supplies", "Storage", "Rolling Mobile Pedestal", 169.00, 0.15},
	{"Office Supplies", "Supplies", "Titanium Desk Scissors", 11.99, 0.27},
	{"Office Supplies", "Supplies", "Electric Pencil Sharpener", 27.50, 0.24},
	{"Technology", "Accessories", "Wireless Keyboard and Mouse", 59.99, 0.24},
	{"Technology", "Accessories", "Noise-Cancelling Headset", 129.00, 0.26},
	{"Technology", "Accessories", "USB-C Docking Station", 179.99, 0.22},
	{"Technology", "Accessories", "Portable SSD, 1TB", 99.00, 0.23},
	{"Technology", "Copiers", "Desktop Laser Copier", 899.00, 0.30},
	{"Technology", "Copiers", "High-Volume Color Copier", 2199.00, 0.33},
	{"Technology", "Machines", "Thermal Label Printer", 229.00, 0.12},
	{"Technology", "Machines", "Cross-Cut Paper Shredder", 319.00, 0.10},
	{"Technology", "Machines", "Large-Format Inkjet Plotter", 1499.00, 0.08},
	{"Technology", "Phones", "Conference Speakerphone", 279.00, 0.20},
	{"Technology", "Phones", "Smartphone 128GB", 649.00, 0.18},
	{"Technology", "Phones", "Cordless Desk Phone, 2 Handsets", 89.99, 0.21},
}

var firstNames = []string{
	"Aaron", "Alicia", "Andre", "Bianca", "Brandon", "Carla", "Chen", "Daniel",
	"Deborah", "Elena", "Ethan", "Fatima", "Gavin", "Grace", "Hector", "Ines",
	"Isaac", "Jasmine", "Jonah", "Keiko", "Liam", "Lucia", "Marcus", "Maya",
	"Nadia", "Noah", "Olga", "Omar", "Priya", "Quentin", "Rachel", "Rafael",
	"Sana", "Samuel", "Tara", "Theo", "Uma", "Victor", "Wendy", "Yusuf",
}

var lastNames = []string{
	"Abbott", "Baptiste", "Castillo", "Dunmore", "Eriksen", "Fairbanks", "Galloway",
	"Hartley", "Ibarra", "Jennings", "Kowalski", "Lindqvist", "Moreau", "Nakamura",
	"Okafor", "Pemberton", "Quiroga", "Rasmussen", "Sandoval", "Thornton",
	"Underwood", "Vasquez", "Whitfield", "Yamada", "Zielinski",
}

var shipModes = []struct {
	name             string
	weight           float64
	minDays, maxDays int
}{
	{"Standard Class", 60, 4, 7},
	{"Second Class", 19, 2, 5},
	{"First Class", 15, 1, 3},
	{"Same Day", 6, 0, 0},
}

var segments = []string{"Consumer", "Corporate", "Home Office"}
var segmentWeights = []float64{52, 30, 18}

// monthFactor shapes ordering seasonality: quiet winters, busy autumns.
var monthFactor = [13]float64{0, 0.7, 0.6, 1.0, 0.9, 0.9, 1.0, 0.95, 1.0, 1.35, 1.1, 1.45, 1.5}

var discountSteps = []float64{0, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7}
var discountWeights = []float64{48, 10, 4, 24, 5, 4, 3, 2}

func superstoreColumns() []Column {
	return []Column{
		{"Order ID", TypeString, RoleDimension, "COUNT", "Identifier of the order; an order has one or more lines."},
		{"Order Date", TypeDate, RoleDimension, "YEAR", "Day the order was placed."},
		{"Ship Date", TypeDate, RoleDimension, "YEAR", "Day the order shipped; null while not yet shipped."},
		{"Ship Mode", TypeString, RoleDimension, "COUNT", "Shipping service level."},
		{"Customer Name", TypeString, RoleDimension, "COUNT", "Customer who placed the order."},
		{"Segment", TypeString, RoleDimension, "COUNT", "Customer segment."},
		{"Region", TypeString, RoleDimension, "COUNT", "US sales region of the ship-to address."},
		{"State", TypeString, RoleDimension, "COUNT", "State of the ship-to address."},
		{"City", TypeString, RoleDimension, "COUNT", "City of the ship-to address."},
		{"Category", TypeString, RoleDimension, "COUNT", "Product category."},
		{"Sub-Category", TypeString, RoleDimension, "COUNT", "Product sub-category."},
		{"Product Name", TypeString, RoleDimension, "COUNT", "Product sold on the order line."},
		{"Sales", TypeReal, RoleMeasure, "SUM", "Line revenue in USD after discount."},
		{"Quantity", TypeInteger, RoleMeasure, "SUM", "Units sold on the line."},
		{"Discount", TypeReal, RoleMeasure, "AVG", "Discount rate applied to the line (0 to 1)."},
		{"Profit", TypeReal, RoleMeasure, "SUM", "Line profit in USD; negative for a loss."},
	}
}

type customer struct {
	name, segment string
	home          place
}

func buildSuperstore() *Table {
	g := newGen(0x5EED5702E, 0xC0FFEE)

	placeWeights := make([]float64, len(places))
	for i, p := range places {
		placeWeights[i] = p.weight
	}

	// Customers: unique names, each with a segment and a home city.
	var customers []customer
	seen := map[string]bool{}
	for len(customers) < 240 {
		name := pick(g, firstNames) + " " + pick(g, lastNames)
		if seen[name] {
			continue
		}
		seen[name] = true
		customers = append(customers, customer{
			name:    name,
			segment: segments[g.weighted(segmentWeights)],
			home:    places[g.weighted(placeWeights)],
		})
	}

	// Order days: uniform draw thinned by growth and seasonality.
	totalDays := int(superstoreLastDay().Sub(superstoreFirstDay()).Hours()/24) + 1
	const maxWeight = 1.5 * (1 + 0.3*3) // largest month factor × growth of 2026
	days := make([]time.Time, 0, superstoreOrderCount)
	for len(days) < superstoreOrderCount {
		d := superstoreFirstDay().AddDate(0, 0, g.intn(totalDays))
		growth := 1 + 0.3*float64(d.Year()-2023)
		if g.float(0, maxWeight) < monthFactor[d.Month()]*growth {
			days = append(days, d)
		}
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })

	shipWeights := make([]float64, len(shipModes))
	for i, s := range shipModes {
		shipWeights[i] = s.weight
	}

	var rows [][]any
	seq := 100000
	for _, day := range days {
		seq += g.between(1, 40)
		prefix := "US"
		if g.chance(0.8) {
			prefix = "CA"
		}
		orderID := fmt.Sprintf("%s-%d-%06d", prefix, day.Year(), seq)
		cust := customers[g.intn(len(customers))]
		dest := cust.home
		if g.chance(0.2) {
			dest = places[g.weighted(placeWeights)]
		}
		mode := shipModes[g.weighted(shipWeights)]
		var shipDate any
		if sd := day.AddDate(0, 0, g.between(mode.minDays, mode.maxDays)); !sd.After(Today()) {
			shipDate = sd
		}
		lines := 1 + g.weighted([]float64{30, 28, 20, 12, 10})
		for l := 0; l < lines; l++ {
			p := products[g.intn(len(products))]
			qty := int64(1 + g.weighted([]float64{14, 24, 20, 14, 10, 7, 5, 3, 3}))
			disc := discountSteps[g.weighted(discountWeights)]
			if dest.region == "West" && disc > 0.2 {
				disc = 0.2 // the West runs fewer deep promotions
			}
			unit := p.price * g.float(0.92, 1.08)
			sales := round2(unit * float64(qty) * (1 - disc))
			if sales < 0.01 {
				sales = 0.01
			}
			margin := p.margin - 1.1*disc + g.norm(0, 0.04)
			profit := round2(sales * margin)
			if math.Signbit(profit) && profit == 0 {
				profit = 0
			}
			rows = append(rows, []any{
				orderID, day, shipDate, mode.name, cust.name, cust.segment,
				dest.region, dest.state, dest.city, p.category, p.subCategory, p.name,
				sales, qty, disc, profit,
			})
		}
	}
	return &Table{Name: SuperstoreOrders, Columns: superstoreColumns(), Rows: rows}
}
