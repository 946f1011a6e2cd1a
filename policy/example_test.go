package policy_test

import (
	"fmt"

	"songnuan/domain"
	"songnuan/policy"
)

// A 低保 household of three, one of whom is 特困供养: the 特困 member
// gets the special subsidy and winter allowance, and the 低保 subsidy
// counts only the other two.
func ExampleEntitle() {
	h := &domain.Household{
		Size: 3,
		Categories: []domain.CategoryClaim{
			{Category: "低保"},
			{Category: "特困", Persons: 1},
			{Category: "妇联", Persons: 1}, // amount not stated yet
		},
	}
	e, err := policy.Entitle(policy.Default(), h)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range e.Items {
		if it.NeedsAmount {
			fmt.Printf("#%s %s %d人 待填金额（%d-%d元）\n", it.Item, it.Name, it.Persons, it.Min, it.Max)
			continue
		}
		fmt.Printf("#%s %s %d人 %d元 %s\n", it.Item, it.Name, it.Persons, it.Amount, it.Fund)
	}
	fmt.Printf("合计 %d元\n", e.Total)
	// Output:
	// #2 特困人员节日补助 1人 1000元 市、区财政
	// #4 低保家庭节日补助 2人 800元 市、区财政
	// #6 冬令御寒补助 1人 460元 市、区财政
	// #18 妇联节日慰问 1人 待填金额（500-2000元）
	// 合计 2260元
}

// A mistake comes back as a *UserError whose message can be shown as is.
func ExampleEntitle_userError() {
	h := &domain.Household{Size: 3, Categories: []domain.CategoryClaim{{Category: "特困供养"}}}
	_, err := policy.Entitle(policy.Default(), h)
	fmt.Println(err)
	// Output:
	// “特困供养”按人计，请写明几人，例如：登记 张三 3人 特困供养1人
}

func ExamplePolicy_LeaderItem() {
	it, _ := policy.Default().LeaderItem(domain.VisitorStreet)
	fmt.Println(it.Item, it.Name, it.Amount, it.Fund)
	// Output:
	// 27 街镇领导走访慰问金 500 民政节日帮困慰问专项经费
}

func ExamplePolicy_Standards() {
	e, _ := policy.Default().Standards("低保", 4)
	fmt.Println(e.Items[0].Name, e.Total)
	// Output:
	// 低保家庭节日补助 1000
}
