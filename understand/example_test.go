package understand_test

import (
	"fmt"
	"strings"
	"time"

	"songnuan/understand"
)

// A worker dictates a visit; the reading is the canonical 走访 with the
// household resolved from an honorific and the spoken amount in digits.
func ExampleInterpreter_Read() {
	it := understand.New([]string{"甘泉一村", "甘泉二村"}, []understand.Category{{Key: "低保", Words: []string{"低保户"}}})
	heads := []understand.Head{{Name: "周建华", Code: "12", Due: 900}, {Name: "李国强", Code: "3", Due: 1000}}
	today := time.Date(2024, 1, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for _, text := range []string{
		"嗯，老周师傅家昨天去过了，九百块钱给他了。",
		"走访 周建华 发放900元",
		"周建华家去过了",
		"二村怎么样了？",
	} {
		r := it.Read(understand.Input{Text: text, Role: understand.Worker, Committee: "甘泉一村", Heads: heads, Today: today})
		fmt.Println(strings.TrimSpace(r.Mode.String() + ": " + r.Command + " " + r.Problem))
	}
	// Output:
	// inferred: 走访 周建华 发放900元 日期:1月14日
	// exact: 走访 周建华 发放900元
	// ask: 走访 周建华 发放900元 请写发放金额或物品。
	// inferred: 进度 甘泉二村
}
