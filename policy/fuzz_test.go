package policy_test

import (
	"errors"
	"testing"

	"songnuan/domain"
	"songnuan/policy"
)

// FuzzParsePolicy: any file either parses into a policy whose own words
// all look up, or fails with problems that each carry a line.
func FuzzParsePolicy(f *testing.F) {
	f.Add(policy.DefaultYAML())
	f.Add([]byte(polBase))
	f.Add([]byte("name: a\n\tversion: b\n"))
	f.Add([]byte("items: [\n"))
	f.Add([]byte("- 1\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := policy.Parse(data, "f.yaml")
		if err != nil {
			var pe *policy.Error
			if !errors.As(err, &pe) || len(pe.Problems) == 0 {
				t.Fatalf("error %v is not a Error with problems", err)
			}
			for _, pr := range pe.Problems {
				if pr.Line < 1 || pr.Msg == "" {
					t.Fatalf("problem without a line or a message: %+v", pr)
				}
			}
			return
		}
		for _, w := range p.Words() {
			if _, ok := p.Lookup(w); !ok {
				t.Fatalf("word %q does not look up", w)
			}
		}
		for _, c := range p.Categories {
			if _, err := p.Standards(c.Key, 3); err != nil {
				var ue *domain.UserError
				if !errors.As(err, &ue) {
					t.Fatalf("Standards(%s): %v", c.Key, err)
				}
			}
		}
		_ = p.Table()
	})
}

// FuzzEntitle: whatever a parser hands over, Entitle answers with a user
// error or an entitlement that adds up and never pays more persons than
// the household has.
func FuzzEntitle(f *testing.F) {
	f.Add(3, uint8(3), 0, int64(0), uint8(1), 1, int64(0))
	f.Add(2, uint8(18), 1, int64(1500), uint8(19), 2, int64(0))
	f.Add(1, uint8(0), 0, int64(0), uint8(1), 0, int64(0))
	f.Fuzz(func(t *testing.T, size int, c1 uint8, n1 int, a1 int64, c2 uint8, n2 int, a2 int64) {
		p := policy.Default()
		cat := func(i uint8) string { return p.Categories[int(i)%len(p.Categories)].Key }
		h := &domain.Household{Size: size, Categories: []domain.CategoryClaim{
			{Category: cat(c1), Persons: n1, Amount: a1},
			{Category: cat(c2), Persons: n2, Amount: a2},
		}}
		e, err := policy.Entitle(p, h)
		if err != nil {
			var ue *domain.UserError
			if !errors.As(err, &ue) || ue.Message == "" {
				t.Fatalf("%+v: %v is not a user error", h, err)
			}
			return
		}
		var sum int64
		for _, it := range e.Items {
			if it.Amount < 0 || it.Persons < 0 || it.Persons > size {
				t.Fatalf("%+v: line %+v", h, it)
			}
			if it.NeedsAmount && it.Amount != 0 {
				t.Fatalf("%+v: line needs an amount yet has one: %+v", h, it)
			}
			sum += it.Amount
		}
		if sum != e.Total {
			t.Fatalf("%+v: total %d, lines add up to %d", h, e.Total, sum)
		}
	})
}
