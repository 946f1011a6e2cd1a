package sheet

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"songnuan/bot"
	"songnuan/domain"
)

// xcell sets one cell of a generated workbook in a way a plain Go value
// cannot express: as a raw number exactly as Excel writes it, or as text.
type xcell struct {
	raw  string // written with SetCellDefault: a number cell holding raw
	text string // written with SetCellStr
}

// sheetData is one worksheet of a generated workbook; rows are 1-based in
// the sheet as listed, nil rows stay empty.
type sheetData struct {
	name string
	rows [][]any
}

// makeXLSX builds a workbook in memory the way a committee's file looks.
func makeXLSX(t testing.TB, sheets ...sheetData) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	for i, sd := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sd.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(sd.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sd.rows {
			for c, v := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				var err error
				switch v := v.(type) {
				case nil:
				case xcell:
					if v.raw != "" {
						err = f.SetCellDefault(sd.name, ref, v.raw)
					} else {
						err = f.SetCellStr(sd.name, ref, v.text)
					}
				default:
					err = f.SetCellValue(sd.name, ref, v)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var canonHeader = []any{"户主", "人数", "类别", "身份证", "电话", "地址", "居委"}

func row(v ...any) []any { return v }

func TestReadRowsXLSX(t *testing.T) {
	data := makeXLSX(t, sheetData{name: "名单", rows: [][]any{
		canonHeader,
		row("张三", 3, "低保", "310107199001011234", "13812345678", "甘泉路1号", "甘泉一村"),
		row(" 李四 ", "2人", "特困供养", "31010719900101123X", 13912345678, "", "甘泉二村"),
	}})
	got, err := ReadRows("名单.xlsx", data)
	if err != nil {
		t.Fatal(err)
	}
	want := []bot.ImportRow{
		{Line: 2, Fields: map[string]string{"户主": "张三", "人数": "3", "类别": "低保", "身份证": "310107199001011234", "电话": "13812345678", "地址": "甘泉路1号", "居委": "甘泉一村"}},
		{Line: 3, Fields: map[string]string{"户主": "李四", "人数": "2人", "类别": "特困供养", "身份证": "31010719900101123X", "电话": "13912345678", "地址": "", "居委": "甘泉二村"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestReadRowsAliasesAndLayout(t *testing.T) {
	// A title and a date line above the header, decorated header cells,
	// an unknown column, blank rows, a total row, and an explanation sheet
	// before the list.
	data := makeXLSX(t,
		sheetData{name: "填表说明", rows: [][]any{row("请按表头填写"), row("户主信息见下一页")}},
		sheetData{name: "名单", rows: [][]any{
			row("甘泉一村困难家庭名单"),
			row("填报日期：2024年1月5日"),
			row("序号", "＊姓名", " 家庭 人数 ", "救助类别", "身份证号码（18位）", "联系电话", "家庭住址", "居委会", "备注"),
			row(1, "王五", 1, "低保", "310107195001011234", "021-62345678", "甘泉路2号", "甘泉一村", "独居"),
			nil,
			row(nil, nil, nil, nil, nil, nil, nil, nil, nil),
			row(2, "赵六", 4, "支内回沪", `="310107196001011234"`, "", "甘泉路3号", "甘泉一村"),
			nil,
			row(nil, "合计", 5),
		}},
	)
	got, err := ReadRows("名单.XLSX", data)
	if err != nil {
		t.Fatal(err)
	}
	want := []bot.ImportRow{
		{Line: 4, Fields: map[string]string{"户主": "王五", "人数": "1", "类别": "低保", "身份证": "310107195001011234", "电话": "021-62345678", "地址": "甘泉路2号", "居委": "甘泉一村"}},
		{Line: 7, Fields: map[string]string{"户主": "赵六", "人数": "4", "类别": "支内回沪", "身份证": "310107196001011234", "电话": "", "地址": "甘泉路3号", "居委": "甘泉一村"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestReadRowsPartialHeader(t *testing.T) {
	// Only the columns the header names appear; a canonical name beats an
	// alias that comes first.
	data := makeXLSX(t, sheetData{name: "S", rows: [][]any{
		row("申请人", "户主", "人口"),
		row("代办人甲", "孙七", 2),
	}})
	got, err := ReadRows("a.xlsx", data)
	if err != nil {
		t.Fatal(err)
	}
	want := []bot.ImportRow{{Line: 2, Fields: map[string]string{"户主": "孙七", "人数": "2"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestReadRowsNumericID(t *testing.T) {
	tests := []struct {
		name    string
		cell    any
		want    string
		numeric bool
	}{
		{"text id", xcell{text: "310107199001011234"}, "310107199001011234", false},
		{"text id ending in zeros", xcell{text: "310107199001011000"}, "310107199001011000", false},
		{"text id with X", xcell{text: "31010719900101123X"}, "31010719900101123X", false},
		{"as Excel stores it", xcell{raw: "3.1010719900101101E+17"}, "3.10107199001011E+17", true},
		{"number, zeros after 15 digits", xcell{raw: "310107199001011000"}, "3.10107199001011E+17", true},
		{"number, all 18 digits", int64(310107199001011234), "3.10107199001011E+17", true},
		{"short number", 12345, "1.2345E+04", true},
		{"typed in scientific notation", xcell{text: "3.10107E+17"}, "3.10107E+17", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := makeXLSX(t, sheetData{name: "S", rows: [][]any{
				row("户主", "身份证"),
				row("张三", tt.cell),
			}})
			rows, err := ReadRows("a.xlsx", data)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 1 {
				t.Fatalf("got %d rows, want 1", len(rows))
			}
			got := rows[0].Fields[ColID]
			if got != tt.want {
				t.Errorf("id = %q, want %q", got, tt.want)
			}
			if NumericID(got) != tt.numeric {
				t.Errorf("NumericID(%q) = %v, want %v", got, !tt.numeric, tt.numeric)
			}
		})
	}
}

// utf16LE encodes s as Excel's "Unicode text" does.
func utf16LE(t *testing.T, s string) []byte {
	t.Helper()
	b, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadRowsCSVEncodings(t *testing.T) {
	const text = "户主,人数,类别,身份证,电话,地址,居委\r\n" +
		"张三,3,低保,310107199001011234,13812345678,甘泉路1号,甘泉一村\r\n" +
		"李四,2,特困供养,31010719900101123X,,\"甘泉路2号,3楼\",甘泉二村\r\n"
	want := []bot.ImportRow{
		{Line: 2, Fields: map[string]string{"户主": "张三", "人数": "3", "类别": "低保", "身份证": "310107199001011234", "电话": "13812345678", "地址": "甘泉路1号", "居委": "甘泉一村"}},
		{Line: 3, Fields: map[string]string{"户主": "李四", "人数": "2", "类别": "特困供养", "身份证": "31010719900101123X", "电话": "", "地址": "甘泉路2号,3楼", "居委": "甘泉二村"}},
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"utf-8", []byte(text)},
		{"utf-8 bom", append([]byte{0xEF, 0xBB, 0xBF}, text...)},
		{"gbk", gbk(t, text)},
		{"utf-16 tabs", utf16LE(t, strings.NewReplacer(`"甘泉路2号,3楼"`, `"甘泉路2号,3楼"`, ",", "\t").Replace(text))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadRows("名单.csv", tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestReadRowsCSVLines(t *testing.T) {
	// Blank lines and a cell spanning two lines must not shift the row
	// numbers away from what Excel shows.
	text := "甘泉二村名单\n" +
		"\n" +
		"姓名,户人数,帮困类别,证件号码,手机号,住址,所属居委\n" +
		"张三,3,低保,3.10107E+17,,\"甘泉路1号\n后门\",甘泉二村\n" +
		"\n" +
		",,,,,,\n" +
		"李四,1,低保,310107199001011234,,,\n" +
		"合计,4\n"
	got, err := ReadRows("x.csv", gbk(t, text))
	if err != nil {
		t.Fatal(err)
	}
	want := []bot.ImportRow{
		{Line: 4, Fields: map[string]string{"户主": "张三", "人数": "3", "类别": "低保", "身份证": "3.10107E+17", "电话": "", "地址": "甘泉路1号\n后门", "居委": "甘泉二村"}},
		{Line: 7, Fields: map[string]string{"户主": "李四", "人数": "1", "类别": "低保", "身份证": "310107199001011234", "电话": "", "地址": "", "居委": ""}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if !NumericID(got[0].Fields[ColID]) {
		t.Errorf("NumericID(%q) = false, want true", got[0].Fields[ColID])
	}
}

// wantUserError fails unless err is a *domain.UserError whose message
// contains every fragment.
func wantUserError(t *testing.T, err error, fragments ...string) {
	t.Helper()
	var ue *domain.UserError
	if !errors.As(err, &ue) {
		t.Fatalf("err = %v (%T), want *domain.UserError", err, err)
	}
	for _, f := range fragments {
		if !strings.Contains(ue.Message, f) {
			t.Errorf("message %q does not contain %q", ue.Message, f)
		}
	}
}

func TestReadRowsRefused(t *testing.T) {
	good := makeXLSX(t, sheetData{name: "S", rows: [][]any{canonHeader, row("张三", 3)}})
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...)
	tests := []struct {
		name      string
		file      string
		data      []byte
		fragments []string
	}{
		{"word file", "名单.docx", []byte("PK\x03\x04 not a workbook"), []string{".xlsx", ".csv", "户主、人数、类别、身份证、电话、地址、居委"}},
		{"picture", "名单.jpg", []byte{0xFF, 0xD8, 0xFF}, []string{".xlsx", ".csv", "户主"}},
		{"no extension text", "名单", []byte("户主,人数\n张三,3\n"), []string{".xlsx", ".csv"}},
		{"old xls", "名单.xls", ole, []string{".xls", "另存为"}},
		{"old xls named xlsx", "名单.xlsx", ole, []string{"另存为"}},
		{"xlsx that is not", "名单.xlsx", []byte("户主,人数\n"), []string{"重新保存"}},
		{"broken zip", "名单.xlsx", good[:len(good)/2], []string{"重新保存"}},
		{"xlsx without 户主", "名单.xlsx", makeXLSX(t, sheetData{name: "S", rows: [][]any{row("序号", "人数", "地址"), row(1, 3, "甘泉路")}}), []string{"户主", "户主、人数、类别、身份证、电话、地址、居委"}},
		{"csv header too low", "名单.csv", []byte(strings.Repeat("说明\n", 10) + "户主,人数\n张三,3\n"), []string{"户主", "表头"}},
		{"empty csv", "名单.csv", nil, []string{"户主"}},
		{"too big", "名单.csv", make([]byte, MaxBytes+1), []string{"20MB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := ReadRows(tt.file, tt.data)
			if rows != nil {
				t.Errorf("rows = %v, want none", rows)
			}
			wantUserError(t, err, tt.fragments...)
		})
	}
}

func TestReadRowsCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("户主,人数\n")
	for i := range MaxRows {
		fmt.Fprintf(&b, "户%d,1\n", i)
	}
	rows, err := ReadRows("a.csv", []byte(b.String()))
	if err != nil || len(rows) != MaxRows {
		t.Fatalf("at the cap: %d rows, err %v; want %d rows", len(rows), err, MaxRows)
	}
	if rows[MaxRows-1].Line != MaxRows+1 {
		t.Errorf("last line = %d, want %d", rows[MaxRows-1].Line, MaxRows+1)
	}
	b.WriteString("\n\n多一户,1\n")
	_, err = ReadRows("a.csv", []byte(b.String()))
	wantUserError(t, err, "5 万行")
}

func TestNormHeader(t *testing.T) {
	tests := []struct{ in, want string }{
		{" 户 主 ", "户主"},
		{"＊姓名", "姓名"},
		{"*身份证号码(18位)", "身份证号码"},
		{"身份证号码（必填）", "身份证号码"},
		{"联系电话：", "联系电话"},
		{"家庭\n人数", "家庭人数"},
		{"居委会\u3000", "居委会"},
		{"(备注)", "(备注)"},
	}
	for _, tt := range tests {
		if got := normHeader(tt.in); got != tt.want {
			t.Errorf("normHeader(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNumericID(t *testing.T) {
	yes := []string{"3.10107E+17", "3.10107199001011E+17", "3E+17", "3.1e17", "1.2345E+04"}
	no := []string{"310107199001011234", "31010719900101123X", "", "E+17", "3.10107", "3.1E+17x", "310107E"}
	for _, v := range yes {
		if !NumericID(v) {
			t.Errorf("NumericID(%q) = false, want true", v)
		}
	}
	for _, v := range no {
		if NumericID(v) {
			t.Errorf("NumericID(%q) = true, want false", v)
		}
	}
}

func FuzzReadRowsCSV(f *testing.F) {
	f.Add([]byte("户主,人数\n张三,3\n"))
	f.Add([]byte("标题\n\n姓名,身份证号码\n\"张\n三\",3.1E+17\n,\n合计\n"))
	f.Add([]byte("\xbb\xa7\xd6\xf7,\xc8\xcb\xca\xfd\n\xd5\xc5\xc8\xfd,3\n"))
	f.Add([]byte("户主\t人数\n\"a\"\"b\t1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := ReadRows("f.csv", data)
		if err != nil {
			var ue *domain.UserError
			if !errors.As(err, &ue) {
				t.Fatalf("err %v is not a *domain.UserError", err)
			}
			return
		}
		prev := 0
		for _, r := range rows {
			if r.Line <= prev {
				t.Fatalf("line %d after %d", r.Line, prev)
			}
			prev = r.Line
			if _, ok := r.Fields[ColHead]; !ok {
				t.Fatalf("row %d has no 户主 field", r.Line)
			}
			for k := range r.Fields {
				if !isColumn(k) {
					t.Fatalf("unknown field %q", k)
				}
			}
		}
	})
}

func isColumn(k string) bool {
	for _, c := range Columns {
		if c == k {
			return true
		}
	}
	return false
}

// TestReadRowsLargeXLSX reads a list written by a stream writer, as
// exports from other systems are, and checks rows keep their sheet lines.
func TestReadRowsLargeXLSX(t *testing.T) {
	data := benchXLSX(t, 3000)
	rows, err := ReadRows("big.xlsx", data)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3000 || rows[0].Line != 2 || rows[2999].Line != 3001 {
		t.Fatalf("got %d rows, first line %d", len(rows), rows[0].Line)
	}
	if got := rows[1234].Fields[ColHead]; got != "户主1234" {
		t.Errorf("row 1234 head = %q", got)
	}
}
