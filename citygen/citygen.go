// Package citygen makes a synthetic city for capacity measurements:
// thousands of neighbourhood committees, each with a worker, a few leaders
// and an admin, and a household list per committee with realistic heads,
// sizes, categories, valid ID numbers and phone numbers. It is
// deterministic by seed, so two runs measure the same city.
//
// Besides writing the city (a staff config and one .csv per committee),
// it loads the lists through the bot's own import path in parallel and
// times single commands against a loaded store, which is what the city
// benchmark (scripts/citybench.sh, BENCHMARKS.md) measures.
package citygen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"songnuan/domain"
)

// Options size the city. Zero values take the defaults of `songnuan gen`.
type Options struct {
	Committees int    // default 6000
	Households int    // default 300000
	Leaders    int    // default 20
	Seed       uint64 // default 1
}

func (o *Options) defaults() {
	if o.Committees <= 0 {
		o.Committees = 6000
	}
	if o.Households <= 0 {
		o.Households = 300000
	}
	if o.Leaders <= 0 {
		o.Leaders = 20
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
}

// City is a generated city. Staff lists the workers first, in the order
// of Committees (Staff[i] works for Committees[i]), then the leaders, then
// the admin.
type City struct {
	Seed       uint64
	Committees []string
	Staff      []domain.Staff
	Households []Household // grouped by committee, in the order of Committees
	// starts[i] is the index in Households of committee i's first
	// household; starts has len(Committees)+1 entries.
	starts []int
}

// Household is one row of a committee's list, as the committee writes it.
type Household struct {
	Committee string
	Head      string
	Size      int
	Category  string // the 类别 cell, e.g. "低保 特困供养1人"
	ID        string // 18 characters with a valid GB 11643 check digit
	Phone     string // mobile, landline with area code, or empty
	Address   string
}

// Of returns the households of committee i.
func (c *City) Of(i int) []Household { return c.Households[c.starts[i]:c.starts[i+1]] }

// Worker returns the worker of committee i.
func (c *City) Worker(i int) domain.Staff { return c.Staff[i] }

// Leaders returns the leaders' userids.
func (c *City) Leaders() []string {
	var ids []string
	for _, s := range c.Staff {
		if s.Role == domain.RoleLeader {
			ids = append(ids, s.UserID)
		}
	}
	return ids
}

// MaxCommittees is how many distinct committee names the generator has.
var MaxCommittees = len(placeFirst) * len(placeSecond) * len(committeeSuffix)

// Random streams. Each part of the city draws from its own, so a city
// with more households keeps the same committees and staff.
const (
	streamCommittees = iota + 1
	streamStaff
	streamSpread
	streamHouseholds
)

// Generate makes the city opt describes.
func Generate(opt Options) (*City, error) {
	opt.defaults()
	if opt.Committees > MaxCommittees {
		return nil, fmt.Errorf("最多能生成 %d 个居委，收到 --committees %d", MaxCommittees, opt.Committees)
	}
	if opt.Households < opt.Committees {
		return nil, fmt.Errorf("户数（%d）应不少于居委数（%d），例如 --committees 6000 --households 300000", opt.Households, opt.Committees)
	}
	c := &City{Seed: opt.Seed}
	c.Committees = committeeNames(rand.New(rand.NewPCG(opt.Seed, streamCommittees)), opt.Committees)
	c.Staff = staff(rand.New(rand.NewPCG(opt.Seed, streamStaff)), c.Committees, opt.Leaders)
	counts := spread(rand.New(rand.NewPCG(opt.Seed, streamSpread)), opt.Households, opt.Committees)

	g := &householdGen{rnd: rand.New(rand.NewPCG(opt.Seed, streamHouseholds)), ids: make(map[string]bool, opt.Households)}
	c.Households = make([]Household, 0, opt.Households)
	c.starts = make([]int, 0, opt.Committees+1)
	for i, name := range c.Committees {
		c.starts = append(c.starts, len(c.Households))
		for range counts[i] {
			c.Households = append(c.Households, g.next(name))
		}
	}
	c.starts = append(c.starts, len(c.Households))
	return c, nil
}

// committeeNames draws n distinct committee names.
func committeeNames(rnd *rand.Rand, n int) []string {
	all := make([]string, 0, MaxCommittees)
	for _, a := range placeFirst {
		for _, b := range placeSecond {
			for _, s := range committeeSuffix {
				all = append(all, string([]rune{a, b})+s)
			}
		}
	}
	rnd.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	return all[:n]
}

// staff is a worker per committee (userid sg00001…), the leaders
// (ld001…) and one admin.
func staff(rnd *rand.Rand, committees []string, leaders int) []domain.Staff {
	out := make([]domain.Staff, 0, len(committees)+leaders+1)
	for i, c := range committees {
		out = append(out, domain.Staff{UserID: fmt.Sprintf("sg%05d", i+1), Name: personName(rnd), Role: domain.RoleWorker, Committee: c})
	}
	for i := range leaders {
		out = append(out, domain.Staff{UserID: fmt.Sprintf("ld%03d", i+1), Name: personName(rnd), Role: domain.RoleLeader})
	}
	return append(out, domain.Staff{UserID: "admin", Name: "社区服务办", Role: domain.RoleAdmin})
}

// spread divides total households among n committees unevenly, as a real
// city's are: each committee's share is drawn between 0.4 and 1.6 of the
// mean, and every committee gets at least one.
func spread(rnd *rand.Rand, total, n int) []int {
	w := make([]float64, n)
	sum := 0.0
	for i := range w {
		w[i] = 0.4 + 1.2*rnd.Float64()
		sum += w[i]
	}
	counts := make([]int, n)
	given := 0
	for i := range counts {
		counts[i] = max(1, int(float64(total-n)*w[i]/sum)+1)
		given += counts[i]
	}
	for i := 0; given < total; i = (i + 1) % n {
		counts[i]++
		given++
	}
	for i := 0; given > total; i = (i + 1) % n {
		if counts[i] > 1 {
			counts[i]--
			given--
		}
	}
	return counts
}

// personName is a surname and a given name.
func personName(rnd *rand.Rand) string {
	total := 0
	for _, s := range surnames {
		total += s.weight
	}
	x := rnd.IntN(total)
	sur := surnames[len(surnames)-1].name
	for _, s := range surnames {
		if x < s.weight {
			sur = s.name
			break
		}
		x -= s.weight
	}
	return sur + givenNames[rnd.IntN(len(givenNames))]
}

// householdGen draws households and keeps every ID number distinct
// across the city, since the bot refuses a person registered twice.
type householdGen struct {
	rnd *rand.Rand
	ids map[string]bool
}

func (g *householdGen) next(committee string) Household {
	p := g.profile()
	h := Household{
		Committee: committee,
		Head:      personName(g.rnd),
		Size:      g.size(p.minSize, p.maxSize),
		Category:  p.category,
		Phone:     g.phone(),
		Address:   g.address(),
	}
	for {
		id := g.id()
		if !g.ids[id] {
			g.ids[id] = true
			h.ID = id
			break
		}
	}
	return h
}

func (g *householdGen) profile() profile {
	total := 0
	for _, p := range profiles {
		total += p.weight
	}
	x := g.rnd.IntN(total)
	for _, p := range profiles {
		if x < p.weight {
			return p
		}
		x -= p.weight
	}
	return profiles[0]
}

func (g *householdGen) size(lo, hi int) int {
	total := 0
	for n := lo; n <= hi; n++ {
		total += sizeWeights[n]
	}
	x := g.rnd.IntN(total)
	for n := lo; n <= hi; n++ {
		if x < sizeWeights[n] {
			return n
		}
		x -= sizeWeights[n]
	}
	return lo
}

// birthFirst and birthDays bound the birth dates of heads: 1935 to 1999.
var (
	birthFirst = time.Date(1935, 1, 1, 0, 0, 0, 0, time.UTC)
	birthDays  = int(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Sub(birthFirst).Hours() / 24)
)

// id is a Shanghai resident ID number: area, birth date, sequence, check
// digit.
func (g *householdGen) id() string {
	born := birthFirst.AddDate(0, 0, g.rnd.IntN(birthDays))
	body := areaCodes[g.rnd.IntN(len(areaCodes))] + born.Format("20060102") + fmt.Sprintf("%03d", 1+g.rnd.IntN(999))
	return body + string(CheckDigit(body))
}

// CheckDigit is the GB 11643-1999 check character of an ID number's first
// 17 digits.
func CheckDigit(body string) byte {
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(body[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

// phone is a mobile number for most households, a Shanghai landline for
// some older ones, and nothing for a few.
func (g *householdGen) phone() string {
	switch x := g.rnd.IntN(100); {
	case x < 82:
		return mobilePrefixes[g.rnd.IntN(len(mobilePrefixes))] + fmt.Sprintf("%08d", g.rnd.IntN(100000000))
	case x < 95:
		return "021-" + strconv.Itoa(5+g.rnd.IntN(2)) + fmt.Sprintf("%07d", g.rnd.IntN(10000000))
	default:
		return ""
	}
}

// address is a lane house flat: 天山路215弄12号302室.
func (g *householdGen) address() string {
	road := string([]rune{placeFirst[g.rnd.IntN(len(placeFirst))], placeSecond[g.rnd.IntN(len(placeSecond))]})
	return fmt.Sprintf("%s路%d弄%d号%d%02d室", road, 1+g.rnd.IntN(999), 1+g.rnd.IntN(60), 1+g.rnd.IntN(15), 1+g.rnd.IntN(4))
}
