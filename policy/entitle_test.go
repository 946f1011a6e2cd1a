package policy_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"songnuan/domain"
	"songnuan/policy"
)

// polLine is the part of an entitlement line a test states.
type polLine struct {
	Item    string
	Persons int
	Amount  int64
	Need    bool
}

func polLines(e domain.Entitlement) []polLine {
	var out []polLine
	for _, it := range e.Items {
		out = append(out, polLine{it.Item, it.Persons, it.Amount, it.NeedsAmount})
	}
	return out
}

func polHousehold(size int, claims ...domain.CategoryClaim) *domain.Household {
	return &domain.Household{Size: size, Categories: claims}
}

func polClaim(cat string, persons int) domain.CategoryClaim {
	return domain.CategoryClaim{Category: cat, Persons: persons}
}

func polPaid(cat string, persons int, amount int64) domain.CategoryClaim {
	return domain.CategoryClaim{Category: cat, Persons: persons, Amount: amount}
}

func polEntitle(t *testing.T, h *domain.Household) domain.Entitlement {
	t.Helper()
	e, err := policy.Entitle(policy.Default(), h)
	if err != nil {
		t.Fatalf("Entitle(%+v): %v", *h, err)
	}
	var sum int64
	for _, it := range e.Items {
		sum += it.Amount
	}
	if e.Total != sum {
		t.Errorf("Total %d, items add up to %d", e.Total, sum)
	}
	if e.Policy != "长宁区2023" || e.PolicyVersion != "2022-12-19" {
		t.Errorf("policy %q version %q, want 长宁区2023 2022-12-19", e.Policy, e.PolicyVersion)
	}
	return e
}

func polLineOf(e domain.Entitlement, id string) (domain.EntitlementItem, bool) {
	for _, it := range e.Items {
		if it.Item == id {
			return it, true
		}
	}
	return domain.EntitlementItem{}, false
}

// TestPolicyStandards has one row per standard of DOMAIN.md, written out
// from the table there, and checks both the policy's item and what a
// household under it is actually paid.
func TestPolicyStandards(t *testing.T) {
	p := policy.Default()
	tests := []struct {
		id   string
		cat  string // category that triggers it; "" for leader visits
		kind policy.ItemKind
		// amount is the fixed/average amount or the scale's 1-person
		// amount; step the scale's increment; min/max the range.
		amount, step, min, max int64
		unit                   policy.Unit // "" where DOMAIN.md has "—"
		fund, dept             string
	}{
		{"1", "重残无业", policy.ItemFixed, 1000, 0, 0, 0, policy.PerPerson, "市、区财政", "民政局"},
		{"2", "特困供养", policy.ItemFixed, 1000, 0, 0, 0, policy.PerPerson, "市、区财政", "民政局"},
		{"3", "其他困难", policy.ItemDiscretionary, 0, 0, 0, 0, policy.PerHousehold, "市、区财政", "民政局"},
		{"4", "低保", policy.ItemScale, 700, 100, 0, 0, policy.PerHousehold, "市、区财政", "民政局"},
		{"5", "因病支出型", policy.ItemScale, 700, 100, 0, 0, policy.PerHousehold, "市、区财政", "民政局"},
		{"6", "御寒困难", policy.ItemFixed, 460, 0, 0, 0, policy.PerPerson, "市、区财政", "民政局"},
		{"7", "集中供养", policy.ItemFixed, 180, 0, 0, 0, policy.PerPerson, "市、区财政", "民政局"},
		{"8", "包户组", policy.ItemFixed, 300, 0, 0, 0, policy.PerPerson, "市、区财政", "民政局"},
		{"9", "救助站滞留", policy.ItemFixed, 100, 0, 0, 0, policy.PerPerson, "市、区财政", "民政局"},
		{"10", "支内回沪", policy.ItemFixed, 700, 0, 0, 0, policy.PerPerson, "市、区财政", "民政局"},
		{"11", "两新党员", policy.ItemAverage, 500, 0, 0, 0, policy.PerHousehold, "民政节日帮困慰问经费", "区委组织部"},
		{"12", "双结对", policy.ItemAverage, 500, 0, 0, 0, policy.PerHousehold, "民政节日帮困慰问经费", "区级机关工作党委"},
		{"13", "登记失业人员", policy.ItemFixed, 750, 0, 0, 0, policy.PerPerson, "失业保险金", "人社局"},
		{"14", "重点优抚", policy.ItemFixed, 1200, 0, 0, 0, policy.PerPerson, "抚恤政策经费", "退役军人事务局"},
		{"15", "教育帮困", policy.ItemBudget, 0, 0, 0, 0, "", "区教育局专项经费", "教育局"},
		{"16", "工会帮困", policy.ItemBudget, 0, 0, 0, 0, "", "区总工会专项经费", "总工会"},
		// DOMAIN.md: fund "—"; the document names none.
		{"17", "困境青少年", policy.ItemBudget, 0, 0, 0, 0, "", "未列明", "团区委"},
		{"18", "妇联", policy.ItemRange, 0, 0, 500, 2000, policy.PerPerson, "市妇联拨款", "妇联"},
		{"19", "残疾大病", policy.ItemFixed, 800, 0, 0, 0, policy.PerPerson, "区残联年度预算", "残联"},
		{"20", "残疾重残", policy.ItemFixed, 400, 0, 0, 0, policy.PerPerson, "区残联年度预算", "残联"},
		{"21", "残疾低收入", policy.ItemFixed, 300, 0, 0, 0, policy.PerPerson, "区残联年度预算", "残联"},
		{"22", "红十字", policy.ItemBudget, 0, 0, 0, 0, "", "活动募集款", "红十字会"},
		{"23", "百企助百老", policy.ItemFixed, 2000, 0, 0, 0, policy.PerPerson, "市、区共同筹集", "老年基金会"},
		{"24", "急难帮困", policy.ItemFixed, 1000, 0, 0, 0, policy.PerPerson, "市、区共同筹集", "老年基金会"},
		{"25", "惠民帮扶", policy.ItemAverage, 3000, 0, 0, 0, policy.PerHousehold, "区综合帮扶项目经费", "惠民综合帮扶服务社"},
		{"26", "", policy.ItemFixed, 1000, 0, 0, 0, policy.PerHousehold, "民政节日帮困慰问经费", "区领导"},
		// DOMAIN.md says 民政节日帮困慰问经费; the document, which wins,
		// says 从民政节日帮困慰问专项经费中列支 for 街镇领导.
		{"27", "", policy.ItemFixed, 500, 0, 0, 0, policy.PerHousehold, "民政节日帮困慰问专项经费", "街镇领导"},
	}
	if len(tests) != 27 || len(p.Items) != 27 {
		t.Fatalf("%d rows, %d policy items; want 27 each", len(tests), len(p.Items))
	}
	for i, tc := range tests {
		it := p.Items[i]
		if it.ID != tc.id {
			t.Errorf("item %d has id %q, want %q (policy order)", i, it.ID, tc.id)
		}
		if it.Kind != tc.kind || it.Unit != tc.unit || it.Fund != tc.fund || it.Dept != tc.dept {
			t.Errorf("#%s: kind %s unit %q fund %s dept %s, want %s %q %s %s", tc.id, it.Kind, it.Unit, it.Fund, it.Dept, tc.kind, tc.unit, tc.fund, tc.dept)
		}
		if it.Amount != tc.amount || it.Step != tc.step || it.Min != tc.min || it.Max != tc.max {
			t.Errorf("#%s: amount %d step %d range %d-%d, want %d %d %d-%d", tc.id, it.Amount, it.Step, it.Min, it.Max, tc.amount, tc.step, tc.min, tc.max)
		}
		if tc.cat == "" {
			continue
		}

		// What is paid: a household of two with both members (or the
		// household) under the category.
		persons := 2
		if c, _ := p.Lookup(tc.cat); c.Level == policy.PerHousehold {
			persons = 0
		}
		e := polEntitle(t, polHousehold(2, polClaim(tc.cat, persons)))
		got, ok := polLineOf(e, tc.id)
		if !ok {
			t.Errorf("#%s: %s on a 2-person household gives no line #%s: %+v", tc.id, tc.cat, tc.id, polLines(e))
			continue
		}
		var want int64
		switch {
		case tc.kind == policy.ItemScale:
			want = tc.amount + tc.step
		case tc.kind == policy.ItemFixed || tc.kind == policy.ItemAverage:
			want = tc.amount
			if tc.unit == policy.PerPerson {
				want *= 2
			}
		}
		needs := tc.kind == policy.ItemRange || tc.kind == policy.ItemDiscretionary
		if got.Amount != want || got.NeedsAmount != needs || got.Fund != tc.fund || got.Dept != tc.dept {
			t.Errorf("#%s paid %d (needs amount %v) from %s by %s, want %d (%v) from %s by %s",
				tc.id, got.Amount, got.NeedsAmount, got.Fund, got.Dept, want, needs, tc.fund, tc.dept)
		}
		if tc.kind == policy.ItemRange && (got.Min != 2*tc.min || got.Max != 2*tc.max) {
			t.Errorf("#%s for 2 persons: range %d-%d, want %d-%d", tc.id, got.Min, got.Max, 2*tc.min, 2*tc.max)
		}
	}
}

func TestEntitleCombinations(t *testing.T) {
	tests := []struct {
		name  string
		h     *domain.Household
		want  []polLine
		total int64
	}{
		{"特困供养 1 person gets #2 and #6",
			polHousehold(1, polClaim("特困供养", 0)),
			[]polLine{{"2", 1, 1000, false}, {"6", 1, 460, false}}, 1460},
		{"低保 3人",
			polHousehold(3, polClaim("低保", 0)),
			[]polLine{{"4", 3, 900, false}}, 900},
		{"低保 3人 + 特困供养1人: #4 counts 2",
			polHousehold(3, polClaim("低保", 0), polClaim("特困供养", 1)),
			[]polLine{{"2", 1, 1000, false}, {"4", 2, 800, false}, {"6", 1, 460, false}}, 2260},
		{"低保 2人 + 登记失业1人: 失业 is not excluded from #4",
			polHousehold(2, polClaim("低保", 0), polClaim("登记失业人员", 1)),
			[]polLine{{"4", 2, 800, false}, {"13", 1, 750, false}}, 1550},
		{"低保 1人 whose member is 特困供养: no #4",
			polHousehold(1, polClaim("低保", 0), polClaim("特困供养", 1)),
			[]polLine{{"2", 1, 1000, false}, {"6", 1, 460, false}}, 1460},
		{"低保 4人 with 2 特困",
			polHousehold(4, polClaim("低保", 0), polClaim("特困供养", 2)),
			[]polLine{{"2", 2, 2000, false}, {"4", 2, 800, false}, {"6", 2, 920, false}}, 3720},
		{"低保 3人 + 重残无业1人 + 特困1人: #4 counts 1",
			polHousehold(3, polClaim("低保", 0), polClaim("重残无业", 1), polClaim("特困", 1)),
			[]polLine{{"1", 1, 1000, false}, {"2", 1, 1000, false}, {"4", 1, 700, false}, {"6", 1, 460, false}}, 3160},
		{"低保 2人 all under #1/#2: no #4",
			polHousehold(2, polClaim("低保", 0), polClaim("重残无业", 1), polClaim("特困供养", 1)),
			[]polLine{{"1", 1, 1000, false}, {"2", 1, 1000, false}, {"6", 1, 460, false}}, 2460},
		{"重残无业 and 特困 on one person: one 特殊对象 subsidy",
			polHousehold(1, polClaim("重残无业", 1), polClaim("特困供养", 1)),
			[]polLine{{"1", 1, 1000, false}, {"6", 1, 460, false}}, 1460},
		{"重残无业 who is also a registered disabled person: #1 and #20",
			polHousehold(1, polClaim("重残无业", 1), polClaim("残疾重残", 1)),
			[]polLine{{"1", 1, 1000, false}, {"20", 1, 400, false}}, 1400},
		{"低保 narrowed by a count on a household-level claim",
			polHousehold(3, polClaim("低保", 2)),
			[]polLine{{"4", 2, 800, false}}, 800},
		{"因病支出型 3人: same scale, no exclusion",
			polHousehold(3, polClaim("因病支出型", 0), polClaim("特困供养", 1)),
			[]polLine{{"2", 1, 1000, false}, {"5", 3, 900, false}, {"6", 1, 460, false}}, 2360},
		{"#6 from 特困 and from 御寒困难 is one line",
			polHousehold(2, polClaim("特困供养", 1), polClaim("御寒困难", 1)),
			[]polLine{{"2", 1, 1000, false}, {"6", 2, 920, false}}, 1920},
		{"#6 never covers more persons than the household has",
			polHousehold(2, polClaim("特困供养", 2), polClaim("御寒困难", 2)),
			[]polLine{{"2", 2, 2000, false}, {"6", 2, 920, false}}, 2920},
		{"残联 1 person: highest band only",
			polHousehold(1, polClaim("残疾大病", 1), polClaim("残疾低收入", 1)),
			[]polLine{{"19", 1, 800, false}}, 800},
		{"残联 2 persons: 800 + 300",
			polHousehold(2, polClaim("残疾大病", 1), polClaim("残疾低收入", 1)),
			[]polLine{{"19", 1, 800, false}, {"21", 1, 300, false}}, 1100},
		{"残联 bands fill highest first, capped at the size",
			polHousehold(3, polClaim("残疾低收入", 2), polClaim("残疾重残", 2), polClaim("残疾大病", 1)),
			[]polLine{{"19", 1, 800, false}, {"20", 2, 800, false}}, 1600},
		{"妇联 stated in range",
			polHousehold(1, polPaid("妇联", 1, 1500)),
			[]polLine{{"18", 1, 1500, false}}, 1500},
		{"妇联 at both ends of the range",
			polHousehold(2, polPaid("妇联", 1, 500), polClaim("低保", 0)),
			[]polLine{{"4", 2, 800, false}, {"18", 1, 500, false}}, 1300},
		{"妇联 2 persons: the stated total may reach 2×2000",
			polHousehold(2, polPaid("妇联", 2, 4000)),
			[]polLine{{"18", 2, 4000, false}}, 4000},
		{"妇联 without an amount needs one and adds nothing",
			polHousehold(2, polClaim("妇联", 1), polClaim("低保", 0)),
			[]polLine{{"4", 2, 800, false}, {"18", 1, 0, true}}, 800},
		{"其他困难 with an amount",
			polHousehold(3, polPaid("其他困难", 0, 800)),
			[]polLine{{"3", 0, 800, false}}, 800},
		{"其他困难 without an amount",
			polHousehold(3, polClaim("其他困难", 0), polClaim("低保", 0)),
			[]polLine{{"3", 0, 0, true}, {"4", 3, 900, false}}, 900},
		{"average: default per household",
			polHousehold(4, polClaim("两新党员", 0), polClaim("惠民帮扶", 0)),
			[]polLine{{"11", 0, 500, false}, {"25", 0, 3000, false}}, 3500},
		{"average: a stated amount replaces the default",
			polHousehold(4, polPaid("双结对", 0, 600), polPaid("惠民帮扶", 0, 2500)),
			[]polLine{{"12", 0, 600, false}, {"25", 0, 2500, false}}, 3100},
		{"budget items are recorded without an amount",
			polHousehold(2, polClaim("红十字", 1), polClaim("教育帮困", 1)),
			[]polLine{{"15", 1, 0, false}, {"22", 1, 0, false}}, 0},
		{"budget items record a stated amount",
			polHousehold(2, polPaid("红十字", 1, 400), polPaid("工会帮困", 2, 1000), polClaim("困境青少年", 1)),
			[]polLine{{"16", 2, 1000, false}, {"17", 1, 0, false}, {"22", 1, 400, false}}, 1400},
		{"aliases resolve to their category",
			polHousehold(3, polClaim("低保户", 0), polClaim("特困", 1), polClaim("失业", 1), polClaim("优抚", 1)),
			[]polLine{{"2", 1, 1000, false}, {"4", 2, 800, false}, {"6", 1, 460, false}, {"13", 1, 750, false}, {"14", 1, 1200, false}}, 4210},
		{"老年基金会 and 支内 and others add up",
			polHousehold(2, polClaim("百企助百老", 1), polClaim("急难帮困", 1), polClaim("支内回沪", 1), polClaim("集中供养", 1), polClaim("包户组", 1), polClaim("救助站滞留", 1)),
			[]polLine{{"7", 1, 180, false}, {"8", 1, 300, false}, {"9", 1, 100, false}, {"10", 1, 700, false}, {"23", 1, 2000, false}, {"24", 1, 1000, false}}, 4280},
		{"no categories: nothing due",
			polHousehold(2),
			nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := polEntitle(t, tc.h)
			if got := polLines(e); !slices.Equal(got, tc.want) {
				t.Errorf("lines\n got %+v\nwant %+v", got, tc.want)
			}
			if e.Total != tc.total {
				t.Errorf("total %d, want %d", e.Total, tc.total)
			}
		})
	}
}

func TestEntitleScale(t *testing.T) {
	want := []int64{700, 800, 900, 1000, 1100, 1200, 1300, 1400, 1500, 1600}
	for i, w := range want {
		size := i + 1
		for _, cat := range []string{"低保", "因病支出型"} {
			e := polEntitle(t, polHousehold(size, polClaim(cat, 0)))
			if e.Total != w || len(e.Items) != 1 || e.Items[0].Persons != size {
				t.Errorf("%s %d人: %+v, want total %d for %d persons", cat, size, polLines(e), w, size)
			}
		}
	}
	if e := polEntitle(t, polHousehold(policy.MaxHouseholdSize, polClaim("低保", 0))); e.Total != 2600 {
		t.Errorf("低保 20人: %d, want 2600", e.Total)
	}
}

func TestEntitleLinesCarryNamesAndCategories(t *testing.T) {
	e := polEntitle(t, polHousehold(3, polClaim("低保家庭", 0), polClaim("特困", 1), polClaim("御寒困难", 1)))
	want := []domain.EntitlementItem{
		{Item: "2", Name: "特困人员节日补助", Category: "特困供养", Persons: 1, Amount: 1000, Fund: "市、区财政", Dept: "民政局"},
		{Item: "4", Name: "低保家庭节日补助", Category: "低保", Persons: 2, Amount: 800, Fund: "市、区财政", Dept: "民政局"},
		{Item: "6", Name: "冬令御寒补助", Category: "特困供养", Persons: 2, Amount: 920, Fund: "市、区财政", Dept: "民政局"},
	}
	if !slices.Equal(e.Items, want) {
		t.Errorf("items\n got %+v\nwant %+v", e.Items, want)
	}
}

func TestEntitleIgnoresClaimOrder(t *testing.T) {
	a := polEntitle(t, polHousehold(4, polClaim("低保", 0), polClaim("特困供养", 1), polClaim("御寒困难", 1), polPaid("妇联", 1, 800)))
	b := polEntitle(t, polHousehold(4, polPaid("妇联", 1, 800), polClaim("御寒困难", 1), polClaim("特困供养", 1), polClaim("低保", 0)))
	if !slices.Equal(a.Items, b.Items) || a.Total != b.Total {
		t.Errorf("order changes the result:\n%+v\n%+v", a.Items, b.Items)
	}
}

func TestEntitleNeverAddsLeaderItems(t *testing.T) {
	p := policy.Default()
	for _, c := range p.Categories {
		persons := 1
		if c.Level == policy.PerHousehold {
			persons = 0
		}
		e := polEntitle(t, polHousehold(1, polClaim(c.Key, persons)))
		for _, it := range e.Items {
			if it.Item == "26" || it.Item == "27" {
				t.Errorf("%s gives leader item #%s", c.Key, it.Item)
			}
		}
	}
}

var polDigitsRE = regexp.MustCompile(`\d{7,}`)

func TestEntitleUserErrors(t *testing.T) {
	tests := []struct {
		name string
		h    *domain.Household
		says []string // fragments the message must hold
	}{
		{"unknown category", polHousehold(2, polClaim("低保边缘", 0)), []string{"“低保边缘”", "标准"}},
		{"unknown category that looks like an ID is not echoed", polHousehold(2, polClaim("310107199001011234", 0)), []string{"没有这个类别"}},
		{"persons above the size", polHousehold(2, polClaim("特困供养", 3)), []string{"3人", "家庭人数2人"}},
		{"person-level without a count on a larger household", polHousehold(3, polClaim("特困供养", 0)), []string{"特困供养", "几人", "特困供养1人"}},
		{"negative persons", polHousehold(3, polClaim("特困供养", -1)), []string{"人数"}},
		{"amount on a fixed item", polHousehold(1, polPaid("特困供养", 1, 1000)), []string{"不用写金额"}},
		{"amount on a scale item", polHousehold(3, polPaid("低保", 0, 900)), []string{"不用写金额"}},
		{"range: below", polHousehold(1, polPaid("妇联", 1, 499)), []string{"500-2000元"}},
		{"range: above", polHousehold(1, polPaid("妇联", 1, 2001)), []string{"500-2000元"}},
		{"range: 2 persons above 2×max", polHousehold(2, polPaid("妇联", 2, 4001)), []string{"1000-4000元"}},
		{"negative amount", polHousehold(3, polPaid("其他困难", 0, -5)), []string{"负"}},
		{"category twice", polHousehold(3, polClaim("特困供养", 1), polClaim("特困", 1)), []string{"两次"}},
		{"低保 and 因病支出型 are alternatives", polHousehold(3, polClaim("低保", 0), polClaim("因病支出型", 0)), []string{"低保", "因病支出型", "只能登记一个"}},
		{"size 0", polHousehold(0, polClaim("低保", 0)), []string{"1-20人"}},
		{"size 21", polHousehold(21, polClaim("低保", 0)), []string{"1-20人"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := policy.Entitle(policy.Default(), tc.h)
			var ue *domain.UserError
			if !errors.As(err, &ue) {
				t.Fatalf("got %+v, %v; want a *UserError", e, err)
			}
			if !strings.Contains(ue.Message, "例如：") {
				t.Errorf("%q shows no example", ue.Message)
			}
			for _, s := range tc.says {
				if !strings.Contains(ue.Message, s) {
					t.Errorf("%q does not say %q", ue.Message, s)
				}
			}
			if polDigitsRE.MatchString(ue.Message) {
				t.Errorf("%q shows a long number", ue.Message)
			}
			if n := len([]rune(ue.Message)); n > 90 {
				t.Errorf("%q is %d characters, too long for a phone", ue.Message, n)
			}
			if len(e.Items) != 0 || e.Total != 0 {
				t.Errorf("an error comes with entitlement %+v", e)
			}
		})
	}
}

func TestEntitleDefaultsOnePersonHousehold(t *testing.T) {
	for _, cat := range []string{"特困供养", "登记失业人员", "残疾大病"} {
		a := polEntitle(t, polHousehold(1, polClaim(cat, 0)))
		b := polEntitle(t, polHousehold(1, polClaim(cat, 1)))
		if !slices.Equal(a.Items, b.Items) || a.Total == 0 {
			t.Errorf("%s on a 1-person household: 0 persons gives %+v, 1 person gives %+v", cat, a.Items, b.Items)
		}
	}
}

func TestEntitleNil(t *testing.T) {
	var ue *domain.UserError
	if _, err := policy.Entitle(nil, polHousehold(1)); err == nil || errors.As(err, &ue) {
		t.Errorf("nil policy: %v, want a non-user error", err)
	}
	if _, err := policy.Entitle(policy.Default(), nil); err == nil || errors.As(err, &ue) {
		t.Errorf("nil household: %v, want a non-user error", err)
	}
}

func TestLeaderItem(t *testing.T) {
	p := policy.Default()
	tests := []struct {
		v    domain.Visitor
		ok   bool
		want domain.EntitlementItem
	}{
		{domain.VisitorDistrict, true, domain.EntitlementItem{Item: "26", Name: "区领导走访慰问金", Category: "区领导", Amount: 1000, Fund: "民政节日帮困慰问经费", Dept: "区领导"}},
		{domain.VisitorStreet, true, domain.EntitlementItem{Item: "27", Name: "街镇领导走访慰问金", Category: "街镇领导", Amount: 500, Fund: "民政节日帮困慰问专项经费", Dept: "街镇领导"}},
		{domain.VisitorCommittee, false, domain.EntitlementItem{}},
		{"市领导", false, domain.EntitlementItem{}},
	}
	for _, tc := range tests {
		got, ok := p.LeaderItem(tc.v)
		if ok != tc.ok || got != tc.want {
			t.Errorf("LeaderItem(%s) = %+v, %v; want %+v, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
	// One leader visit per household: the two leader items are alternatives.
	excl := []struct {
		a, b string
		want bool
	}{
		{"26", "27", true},
		{"27", "26", true},
		{"26", "26", false},
		{"4", "5", true},
		{"2", "6", false},
		{"1", "2", false}, // a band group, not an exclusive one
		{"26", "99", false},
	}
	for _, tc := range excl {
		if got := p.Exclusive(tc.a, tc.b); got != tc.want {
			t.Errorf("Exclusive(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestStandards(t *testing.T) {
	p := policy.Default()
	tests := []struct {
		cat   string
		size  int
		want  []polLine
		total int64
	}{
		{"特困", 3, []polLine{{"2", 1, 1000, false}, {"6", 1, 460, false}}, 1460},
		{"低保", 3, []polLine{{"4", 3, 900, false}}, 900},
		{"低保", 0, []polLine{{"4", 1, 700, false}}, 700},
		{"妇联", 1, []polLine{{"18", 1, 0, true}}, 0},
		{"惠民", 2, []polLine{{"25", 0, 3000, false}}, 3000},
		{"残疾大病", 2, []polLine{{"19", 1, 800, false}}, 800},
	}
	for _, tc := range tests {
		e, err := p.Standards(tc.cat, tc.size)
		if err != nil {
			t.Errorf("Standards(%s, %d): %v", tc.cat, tc.size, err)
			continue
		}
		if got := polLines(e); !slices.Equal(got, tc.want) || e.Total != tc.total {
			t.Errorf("Standards(%s, %d) = %+v total %d, want %+v total %d", tc.cat, tc.size, got, e.Total, tc.want, tc.total)
		}
	}
	e, _ := p.Standards("妇联", 1)
	if e.Items[0].Min != 500 || e.Items[0].Max != 2000 {
		t.Errorf("妇联 range %d-%d, want 500-2000", e.Items[0].Min, e.Items[0].Max)
	}
	for _, bad := range []struct {
		cat  string
		size int
		says string
	}{
		{"领导", 1, "标准 低保 3人"},
		{"低保", 21, "标准 低保 3人"},
		{"低保", -1, "1-20人"},
	} {
		_, err := p.Standards(bad.cat, bad.size)
		var ue *domain.UserError
		if !errors.As(err, &ue) || !strings.Contains(ue.Message, bad.says) {
			t.Errorf("Standards(%s, %d): %v, want a user error saying %q", bad.cat, bad.size, err, bad.says)
		}
	}
}

func BenchmarkEntitle(b *testing.B) {
	p := policy.Default()
	h := polHousehold(4, polClaim("低保", 0), polClaim("特困供养", 1), polClaim("残疾大病", 1), polClaim("残疾重残", 2), polPaid("妇联", 1, 1000))
	for b.Loop() {
		if _, err := policy.Entitle(p, h); err != nil {
			b.Fatal(err)
		}
	}
}
