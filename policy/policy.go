package policy

import (
	_ "embed"
	"slices"
	"sync"
	"unicode/utf8"

	"songnuan/domain"
)

// Policy is one district's subsidy standards for one campaign: the items
// each department pays and the categories a worker registers households
// under. A Policy comes from Parse or Default and is read-only
// afterwards, so one value is shared by every request.
type Policy struct {
	Name       string // e.g. 长宁区2023
	Version    string // stored with every entitlement computed under it
	Document   string // the official document the standards come from
	Items      []Item
	Categories []Category

	itemIdx map[string]int // item id → index in Items
	wordIdx map[string]int // key or alias → index in Categories
	words   []string       // keys and aliases, longest first
}

// Unit says whether an amount is paid per person or per household; it is
// also a category's level (whether a claim counts persons).
type Unit string

// The two units. A budget item may have no unit at all.
const (
	PerPerson    Unit = "person"
	PerHousehold Unit = "household"
)

// ItemKind is how an item's amount is found.
type ItemKind string

// Item kinds. Only fixed and scale amounts are computed without asking
// the worker; average has a default the worker may replace; range and
// discretionary need a stated amount; budget items carry none.
const (
	ItemFixed         ItemKind = "fixed"         // Amount per unit
	ItemScale         ItemKind = "scale"         // Amount for one person, plus Step for each further person
	ItemAverage       ItemKind = "average"       // Amount per unit unless an amount is stated
	ItemRange         ItemKind = "range"         // stated amount, Min..Max per unit
	ItemDiscretionary ItemKind = "discretionary" // stated amount, at least 1
	ItemBudget        ItemKind = "budget"        // no per-head amount; a stated amount is recorded
)

// Trigger is what puts an item in a household's entitlement.
type Trigger string

// Triggers: a registered category, or a leader's visit.
const (
	TriggerRegister Trigger = "register"
	TriggerVisit    Trigger = "visit"
)

// MaxHouseholdSize is the largest household Entitle accepts; anything
// bigger is a typing mistake (an ID digit, a phone digit) rather than a
// family.
const MaxHouseholdSize = 20

// Item is one subsidy standard, a row of the district's table.
type Item struct {
	ID     string // "1".."27" in the default
	Name   string // as the document words it
	Short  string // what a reply on a phone shows; Name when empty
	Unit   Unit   // empty only for budget items
	Kind   ItemKind
	Amount int64 // yuan: fixed amount, scale base, average default
	Step   int64 // scale: added per person beyond the first
	Min    int64 // range: lowest amount per unit
	Max    int64 // range: highest amount per unit
	Budget int64 // budget: the estimated total, for the table only
	Fund   string
	Dept   string
	Note   string

	// BandGroup: a person falls in one item of the group, the best paid.
	BandGroup string
	// ExclusiveGroup: a household gets at most one item of the group.
	ExclusiveGroup string
	// ExcludePersonsOf: persons under these items are not counted here.
	ExcludePersonsOf []string

	Trigger Trigger        // TriggerRegister unless TriggerVisit
	Visitor domain.Visitor // for TriggerVisit: who visits
}

// Category is what a worker registers a household (or some of its
// members) under; it triggers one or more items.
type Category struct {
	Key     string // canonical name, stored in domain.CategoryClaim
	Level   Unit   // PerPerson: the claim counts members; PerHousehold: it covers the household
	Items   []string
	Aliases []string
}

// DisplayName is the item's name as a reply shows it.
func (it Item) DisplayName() string {
	if it.Short != "" {
		return it.Short
	}
	return it.Name
}

// takesAmount reports whether a stated amount means something for the item.
func (it Item) takesAmount() bool {
	switch it.Kind {
	case ItemAverage, ItemRange, ItemDiscretionary, ItemBudget:
		return true
	}
	return false
}

//go:embed default.yaml
var defaultPolicyYAML []byte

var defaultPolicy = sync.OnceValue(func() *Policy {
	p, err := Parse(defaultPolicyYAML, "policy/default.yaml")
	if err != nil {
		// A test parses the same bytes, so this cannot ship.
		panic("bot: embedded default policy: " + err.Error())
	}
	return p
})

// Default returns the built-in 长宁区 2023 standards. It is parsed
// once; every caller shares the value and must not modify it.
func Default() *Policy { return defaultPolicy() }

// DefaultYAML returns the embedded default policy file, a starting
// point for a district writing its own.
func DefaultYAML() []byte { return slices.Clone(defaultPolicyYAML) }

// index builds the lookup tables; Parse calls it once validation
// has passed, so keys, aliases and ids are unique.
func (p *Policy) index() {
	p.itemIdx = make(map[string]int, len(p.Items))
	for i, it := range p.Items {
		p.itemIdx[it.ID] = i
	}
	p.wordIdx = map[string]int{}
	p.words = p.words[:0]
	for i, c := range p.Categories {
		for _, w := range append([]string{c.Key}, c.Aliases...) {
			p.wordIdx[w] = i
			p.words = append(p.words, w)
		}
	}
	slices.SortStableFunc(p.words, func(a, b string) int {
		if d := utf8.RuneCountInString(b) - utf8.RuneCountInString(a); d != 0 {
			return d
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
}

// Lookup finds the category a word names, by key or alias. The word must
// already be normalised (trimmed, half-width); it is matched exactly.
func (p *Policy) Lookup(word string) (Category, bool) {
	i, ok := p.wordIdx[word]
	if !ok {
		return Category{}, false
	}
	return p.Categories[i], true
}

// Words returns every category key and alias, longest first (ties in
// byte order), so a parser that takes the first word a text starts with
// never stops at a shorter word that is a prefix of the right one
// (低保 inside 残疾低保, 支内 inside 支内回沪).
func (p *Policy) Words() []string { return slices.Clone(p.words) }

// Item returns the item with the given id.
func (p *Policy) Item(id string) (Item, bool) {
	i, ok := p.itemIdx[id]
	if !ok {
		return Item{}, false
	}
	return p.Items[i], true
}

// Exclusive reports whether items a and b are alternatives: different
// items of one exclusive group, so a household may have only one of them
// (区领导 and 街镇领导 visits; 低保 and 因病支出型 in the default).
func (p *Policy) Exclusive(a, b string) bool {
	x, okA := p.Item(a)
	y, okB := p.Item(b)
	return okA && okB && a != b && x.ExclusiveGroup != "" && x.ExclusiveGroup == y.ExclusiveGroup
}

// LeaderItem returns the entitlement line a visit by v adds to what the
// household is due: #26 for 区领导, #27 for 街镇领导 in the default. It
// reports false for visitors no item is triggered by (the committee's own
// staff). The line's Category is the visitor, so leader money is counted
// apart from registered categories.
func (p *Policy) LeaderItem(v domain.Visitor) (domain.EntitlementItem, bool) {
	for _, it := range p.Items {
		if it.Trigger == TriggerVisit && it.Visitor == v {
			return domain.EntitlementItem{
				Item:     it.ID,
				Name:     it.DisplayName(),
				Category: string(v),
				Amount:   it.Amount,
				Fund:     it.Fund,
				Dept:     it.Dept,
			}, true
		}
	}
	return domain.EntitlementItem{}, false
}
