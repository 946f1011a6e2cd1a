package sheet_test

import (
	"errors"
	"fmt"

	"songnuan/domain"
	"songnuan/sheet"
)

// A committee's list as Excel saves it: a title line, header aliases, a
// blank row, an ID number Excel turned into a number, and a totals line.
func ExampleReadRows() {
	csv := "甘泉一村帮困名单\n" +
		"姓名,家庭人数,救助类别,身份证号码\n" +
		"张三,3,低保,310107199001011234\n" +
		"\n" +
		"李四,1,特困供养,3.10107E+17\n" +
		"合计,4\n"
	rows, err := sheet.ReadRows("名单.csv", []byte(csv))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rows {
		id := r.Fields[sheet.ColID]
		if sheet.NumericID(id) {
			fmt.Printf("第%d行 %s：身份证号被存成了数字\n", r.Line, r.Fields[sheet.ColHead])
			continue
		}
		fmt.Printf("第%d行 %s %s人 %s\n", r.Line, r.Fields[sheet.ColHead], r.Fields[sheet.ColSize], r.Fields[sheet.ColCategory])
	}

	_, err = sheet.ReadRows("名单.pdf", []byte("%PDF-1.7"))
	var ue *domain.UserError
	fmt.Println(errors.As(err, &ue), ue.Message)
	// Output:
	// 第3行 张三 3人 低保
	// 第5行 李四：身份证号被存成了数字
	// true 请发送 .xlsx 或 .csv 文件，第一行为表头：户主、人数、类别、身份证、电话、地址、居委
}
