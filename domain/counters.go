package domain

// Counters are a committee's running totals, by field name. Fields are
// built by CounterFields; a missing field is zero.
type Counters map[string]int64

// Counter field names. A committee's counters are the sum of
// CounterFields over its households plus what AddCounters added
// (donations, alerts); status views read them and never scan households.
const (
	CtrHouseholds = "hh"      // registered households
	CtrPersons    = "persons" // persons in them
	CtrVisited    = "visited" // households with at least one visit
	CtrLeader     = "leader"  // households visited by a leader
	CtrDue        = "due"     // yuan due (stated amounts only)
	CtrPaid       = "paid"    // yuan paid
	CtrShort      = "short"   // yuan still to pay, summed over households
	CtrOver       = "over"    // yuan paid beyond what was due
	CtrNeedAmount = "needamt" // households with an item whose amount is not stated
	CtrDonations  = "donation"
	CtrAlerts     = "alerts"

	// The prefixes of the per-fund and per-category fields, for views
	// that list every fund or category a committee has.
	DueFundPrefix  = "due:f:"
	PaidFundPrefix = "paid:f:"
	DueCatPrefix   = "due:c:"
	PaidCatPrefix  = "paid:c:"
)

// FundDue, FundPaid, CatDue and CatPaid name the per-fund and per-category
// counter fields.
func FundDue(f string) string  { return DueFundPrefix + f }
func FundPaid(f string) string { return PaidFundPrefix + f }
func CatDue(c string) string   { return DueCatPrefix + c }
func CatPaid(c string) string  { return PaidCatPrefix + c }

// CounterFields is what one household contributes to its committee's
// counters. Payments are allocated to the entitlement's items in order, so
// paid-by-fund and paid-by-category add up to the household's paid total
// less any overpayment.
func CounterFields(h *Household) Counters {
	c := Counters{}
	if h == nil {
		return c
	}
	c[CtrHouseholds] = 1
	c[CtrPersons] = int64(h.Size)
	var paid int64
	leader := false
	for _, v := range h.Visits {
		paid += v.Paid
		if v.Visitor == VisitorDistrict || v.Visitor == VisitorStreet {
			leader = true
		}
	}
	if len(h.Visits) > 0 {
		c[CtrVisited] = 1
	}
	if leader {
		c[CtrLeader] = 1
	}
	due := h.Entitlement.Total
	c[CtrDue] = due
	c[CtrPaid] = paid
	if paid < due {
		c[CtrShort] = due - paid
	} else if paid > due {
		c[CtrOver] = paid - due
	}
	left := paid
	need := false
	for _, it := range h.Entitlement.Items {
		if it.NeedsAmount {
			need = true
			continue
		}
		c[FundDue(it.Fund)] += it.Amount
		c[CatDue(it.Category)] += it.Amount
		p := min(left, it.Amount)
		left -= p
		if p > 0 {
			c[FundPaid(it.Fund)] += p
			c[CatPaid(it.Category)] += p
		}
	}
	if need {
		c[CtrNeedAmount] = 1
	}
	for k, v := range c {
		if v == 0 {
			delete(c, k)
		}
	}
	return c
}

// CounterDeltas is what changing a household from before to after adds to
// its committee's counters (either may be nil).
func CounterDeltas(before, after *Household) map[string]int64 {
	d := map[string]int64{}
	for k, v := range CounterFields(after) {
		d[k] += v
	}
	for k, v := range CounterFields(before) {
		d[k] -= v
	}
	for k, v := range d {
		if v == 0 {
			delete(d, k)
		}
	}
	return d
}
